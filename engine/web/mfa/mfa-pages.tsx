import type { Child } from "hono/jsx";
import type { FactorMethod } from "../../mfa/status.js";
import { isoMinuteWithZone, minuteIn } from "../../util/zoned-dates.js";
import { InputField } from "../../render/form-field.js";
import { CsrfField, Layout } from "../../render/layout.js";

/** Pages of the second sign-in step and of MFA setup. Half-signed-in users see no navigation. */

function ErrorNotice({ error }: { error?: string }) {
  return error ? (
    <p class="notice error" role="alert" id="mfa-error">
      {error}
    </p>
  ) : null;
}

function CancelSignIn({ csrfToken }: { csrfToken: string }) {
  return (
    <form method="post" action="/logout">
      <CsrfField token={csrfToken} />
      <button type="submit" class="secondary outline">
        Cancel and sign out
      </button>
    </form>
  );
}

/** The one-time code field of the sign-in step and of app setup (error slot `err-code`). */
export function CodeField({ label, error, autofocus }: { label: string; error?: string; autofocus?: boolean }) {
  return (
    <InputField
      id="code"
      name="code"
      label={label}
      autocomplete="one-time-code"
      required
      error={error}
      attrs={{ inputmode: "numeric", pattern: "[0-9 \\-]{6,12}", maxlength: 12, autofocus }}
    />
  );
}

/** The `rememberBrowser` checkbox of the code step: "Don't ask again on this browser for N days". */
export function RememberBrowserField({ days }: { days: number }) {
  return (
    <label class="remember-browser">
      <input type="checkbox" name="rememberBrowser" value="on" /> Don’t ask again on this browser for {days}{" "}
      {days === 1 ? "day" : "days"}
    </label>
  );
}

/**
 * The second sign-in step: the field for the current code of the user's authenticator app or
 * hardware token, worded for the user's `method` when known ("passkey": passkeys only, no code
 * field), and `passkey` (the "Use a passkey" form) when the user holds one.
 */
export function MfaCodePage(props: {
  csrfToken: string;
  error?: string;
  fieldError?: string;
  method?: FactorMethod;
  passkey?: Child;
  /** Fields posted with the code (the rememberBrowser checkbox). */
  extraFields?: Child;
}) {
  const codes = props.method !== "passkey";
  return (
    <Layout title={codes ? "Enter your code" : "Use your passkey"} csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Multi-factor authentication (MFA)</h1>
        <p>
          {props.method === "hardware"
            ? "Enter the code your hardware token shows now."
            : props.method === "app"
              ? "Enter the current code from your authenticator app."
              : props.method === "passkey"
                ? "Use your passkey to finish signing in."
                : "Enter the current code from your authenticator app or hardware token."}
        </p>
        {/* Without a code field a malformed code's message has nowhere else to show. */}
        <ErrorNotice error={props.error ?? (codes ? undefined : props.fieldError)} />
        {codes ? (
          <form method="post" action="/login/mfa">
            <CsrfField token={props.csrfToken} />
            <CodeField label="Code" error={props.fieldError} autofocus />
            {props.extraFields}
            <button type="submit">Verify</button>
          </form>
        ) : null}
        {props.passkey}
        <p id="lost-device">
          {codes ? "Lost your phone or token, or it does not work?" : "Lost your passkey, or it does not work?"}{" "}
          <a href="/login/recovery" id="use-recovery">
            Use a recovery code or a temporary access pass
          </a>
          . No recovery code left? Your administrator can give you a temporary access pass.
        </p>
        <CancelSignIn csrfToken={props.csrfToken} />
      </article>
    </Layout>
  );
}

/**
 * Choosing how to set up MFA (authenticator app or hardware token), with the days left before the
 * enforcement deadline and, when still optional, the way to put it off.
 */
export function MfaSetupChoicePage(props: {
  csrfToken: string;
  optional: boolean;
  /** Only a half-signed-in user may put setup off; a signed-in one already did. */
  canPostpone: boolean;
  daysLeft: number;
  requiredFrom: Date;
  /** The user's site's time zone: the deadline is shown in it, to the minute (absent: UTC). */
  timeZone?: string | undefined;
  error?: string;
  /** A key shown on an earlier setup page is valid until then: it can be finished without a new one. */
  pendingKeyUntil?: Date;
  /** The methods the site's policy allows (all three when omitted). */
  methods?: readonly FactorMethod[];
  /** Signed in with a recovery code or an access pass: the new factor replaces the current one. */
  replacing?: boolean;
}) {
  const offered = props.methods ?? ["app", "hardware", "passkey"];
  return (
    <Layout title="Set up multi-factor authentication (MFA)" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>{props.replacing ? "Set up a new authenticator" : "Set up multi-factor authentication (MFA)"}</h1>
        <ErrorNotice error={props.error} />
        {props.replacing ? (
          <p id="mfa-replacing">
            The new authenticator replaces your current app or hardware token as soon as it is confirmed (with a code
            for an app or a token, with your fingerprint, face, PIN or a touch for a passkey); until then nothing
            changes. Passkeys you already have stay: remove a lost one on your account page.
          </p>
        ) : props.optional ? (
          <p id="mfa-days-left">
            Your administrator requires multi-factor authentication (MFA) from{" "}
            {minuteIn(props.requiredFrom, props.timeZone)}. You have {props.daysLeft}{" "}
            {props.daysLeft === 1 ? "day" : "days"} left to set it up.
          </p>
        ) : (
          <p id="mfa-required">
            Your administrator requires multi-factor authentication (MFA) before you can continue.
          </p>
        )}
        {props.pendingKeyUntil && offered.includes("app") ? (
          <p class="notice" id="continue-setup">
            You were shown a key for an authenticator app earlier. If you added it to your app,{" "}
            <a href="/mfa/setup/app?continue=1">continue with that key</a> (valid until{" "}
            {isoMinuteWithZone(props.pendingKeyUntil, props.timeZone)}).
          </p>
        ) : null}
        <p id="method-choice-heading">
          <strong>Choose how you will confirm it is you:</strong>
        </p>
        <ul class="method-choices" aria-labelledby="method-choice-heading">
          {offered.includes("passkey") ? (
            <MethodChoice id="setup-passkey" href="/mfa/setup/passkey" title="A passkey">
              on this device, your phone or a security key (fingerprint, face, PIN or a touch; cannot be phished)
            </MethodChoice>
          ) : null}
          {offered.includes("app") ? (
            <MethodChoice id="setup-app" href="/mfa/setup/app" title="An authenticator app">
              on your phone (for example Google Authenticator, Microsoft Authenticator, FreeOTP or Aegis)
            </MethodChoice>
          ) : null}
          {offered.includes("hardware") ? (
            <MethodChoice id="setup-hardware" href="/mfa/setup/hardware" title="A hardware token">
              handed out by your administrator
            </MethodChoice>
          ) : null}
        </ul>
        {props.optional && props.canPostpone ? (
          <form method="post" action="/mfa/setup/later">
            <CsrfField token={props.csrfToken} />
            <button type="submit" class="secondary outline" id="remind-later">
              Remind me later
            </button>
          </form>
        ) : null}
        {props.canPostpone || !props.optional ? <CancelSignIn csrfToken={props.csrfToken} /> : null}
      </article>
    </Layout>
  );
}

/**
 * One method on the setup page: the whole card is the link (the choices are what the page is for,
 * so they must not read as lesser than "Remind me later"); the link's name is all its text (WCAG
 * 2.5.3: the visible label is part of the name).
 */
function MethodChoice(props: { id: string; href: string; title: string; children: string }) {
  return (
    <li>
      <a href={props.href} id={props.id}>
        <strong>{props.title}</strong> <span>{props.children}</span>
      </a>
    </li>
  );
}

/**
 * Finishing an authenticator-app setup with the key an earlier page showed (after a sign-in that
 * ran out): the code field alone, since the key is never shown a second time.
 */
export function ContinueAppSetupPage(props: { csrfToken: string; until: Date; timeZone?: string | undefined }) {
  return (
    <Layout title="Finish setting up your authenticator app" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Finish setting up your authenticator app</h1>
        <p>
          Enter the 6-digit code your app shows for the key you added earlier. That key is valid until{" "}
          {isoMinuteWithZone(props.until, props.timeZone)}.
        </p>
        <form method="post" action="/mfa/setup/app">
          <CsrfField token={props.csrfToken} />
          <CodeField label="Code" autofocus />
          <button type="submit">Activate</button>
        </form>
        <p>
          <a href="/mfa/setup/app">Show a new key instead</a> (the earlier one stops working) ·{" "}
          <a href="/mfa/setup">Choose another method</a>
        </p>
      </article>
    </Layout>
  );
}

/**
 * Setting up an authenticator app: the QR code of the otpauth key URI, the key in groups for
 * typing, and the field for the first code.
 */
export function AppSetupPage(props: {
  csrfToken: string;
  qrDataUrl: string;
  groupedKey: string;
  uri: string;
  error?: string;
  fieldError?: string;
}) {
  return (
    <Layout title="Set up an authenticator app" csrfToken={props.csrfToken}>
      <article class="narrow">
        <h1>Set up an authenticator app</h1>
        <ErrorNotice error={props.error} />
        <ol>
          <li>
            Scan this QR code with your authenticator app:
            <br />
            <img src={props.qrDataUrl} alt="QR code for your authenticator app" id="totp-qr" width={240} height={240} />
          </li>
          <li>
            Or enter this key by hand (time-based):
            <br />
            <code class="key-groups" id="totp-key">
              {props.groupedKey}
            </code>
          </li>
          <li>
            On this phone?{" "}
            <a href={props.uri} id="otpauth-link">
              Open the key in your authenticator app
            </a>
            .
          </li>
          <li>Enter the 6-digit code the app shows to finish.</li>
        </ol>
        <p>
          <small>The key is shown only during setup. Each visit to this page creates a new key.</small>
        </p>
        <form method="post" action="/mfa/setup/app">
          <CsrfField token={props.csrfToken} />
          <CodeField label="Code" error={props.fieldError} autofocus />
          <button type="submit">Activate</button>
        </form>
        <p>
          <a href="/mfa/setup">Choose another method</a>
        </p>
      </article>
    </Layout>
  );
}
