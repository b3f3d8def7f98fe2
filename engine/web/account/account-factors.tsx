/** The parts of /account that list what the user signs in with: factors, and signed-in browsers and devices. */
import type { OwnCredential } from "../../auth/own-credentials.js";
import type { RememberedBrowser } from "../../auth/remembered-browsers.js";
import type { PasskeyInfo } from "../../mfa/passkeys/passkey-store.js";
import { longDate } from "../../mfa/status.js";
import { dayIn, minuteIn } from "../../util/zoned-dates.js";
import { InputField } from "../../render/form-field.js";
import { CsrfField } from "../../render/layout.js";

/** The user's factors: the TOTP enrollment (app or hardware token) and the passkeys. */
export interface AccountFactors {
  totp: { method: "app" | "hardware"; serial: string | null } | null;
  passkeys: PasskeyInfo[];
  /** MFA is on: the last factor cannot be removed, and passkeys can be added. */
  mfaOn: boolean;
  /** The site's policy allows passkeys (allowedMethods): without it "Add a passkey" is not offered. */
  passkeysAllowed: boolean;
}

const when = (d: Date | null) => (d ? longDate(new Date(d)) : "never");

function PostButton(p: { csrfToken: string; action: string; label: string; name: string }) {
  return (
    <form method="post" action={p.action} class="inline-form">
      <CsrfField token={p.csrfToken} />
      <button type="submit" class="secondary outline" aria-label={`${p.label} ${p.name}`}>
        {p.label}
      </button>
    </form>
  );
}

/**
 * Remove a factor: asks for the current password (`currentPassword`), so a session alone (an
 * unlocked browser, a stolen cookie) cannot take away what protects the account.
 */
function RemoveFactorForm(p: { csrfToken: string; action: string; id: string; name: string }) {
  return (
    <form method="post" action={p.action} class="remove-factor-form">
      <CsrfField token={p.csrfToken} />
      <InputField
        id={`remove-${p.id}-password`}
        name="currentPassword"
        type="password"
        label={`Your current password, to remove the ${p.name}`}
        required
        autocomplete="current-password"
      />
      <button type="submit" class="secondary outline" aria-label={`Remove ${p.name}`}>
        Remove
      </button>
    </form>
  );
}

/** "Your sign-in methods": each factor with Remove (and Rename for a passkey), and "Add a passkey". */
export function FactorsSection({ csrfToken, factors }: { csrfToken: string; factors: AccountFactors }) {
  const total = (factors.totp ? 1 : 0) + factors.passkeys.length;
  const removable = !factors.mfaOn || total > 1;
  return (
    <section aria-labelledby="account-factors" id="factors">
      <h2 id="account-factors">Your sign-in methods</h2>
      {total === 0 ? <p>You have no second factor yet.</p> : null}
      {factors.totp ? (
        <div class="factor" id="factor-totp">
          <p>
            <strong>
              {factors.totp.method === "app" ? "Authenticator app" : `Hardware token ${factors.totp.serial ?? ""}`}
            </strong>
          </p>
          {removable ? (
            <RemoveFactorForm
              csrfToken={csrfToken}
              action="/account/factors/totp/remove"
              id="totp"
              name={factors.totp.method === "app" ? "authenticator app" : "hardware token"}
            />
          ) : null}
        </div>
      ) : null}
      {factors.passkeys.map((p) => (
        <div class="factor" id={`passkey-${p.id}`}>
          <p>
            <strong>Passkey {p.name}</strong>
            <br />
            <small>
              Added {when(p.createdAt)} · last used {when(p.lastUsedAt)}
              {p.backedUp ? " · synced" : ""}
            </small>
          </p>
          <form method="post" action={`/account/passkeys/${p.id}/rename`} class="rename-form">
            <CsrfField token={csrfToken} />
            <InputField
              id={`rename-${p.id}`}
              name="name"
              label={`New name for passkey ${p.name}`}
              required
              value={p.name}
              attrs={{ maxlength: 64 }}
            />
            <button type="submit" class="secondary">
              Rename
            </button>
          </form>
          {removable ? (
            <RemoveFactorForm
              csrfToken={csrfToken}
              action={`/account/passkeys/${p.id}/remove`}
              id={p.id}
              name={`passkey ${p.name}`}
            />
          ) : null}
        </div>
      ))}
      {factors.mfaOn && !removable ? (
        <p id="last-factor-note">
          <small>Your only sign-in method cannot be removed while MFA is on: add another one first.</small>
        </p>
      ) : null}
      {factors.mfaOn && total > 0 && factors.passkeysAllowed ? (
        <p>
          <a href="/mfa/setup/passkey" id="add-passkey">
            Add a passkey
          </a>
        </p>
      ) : null}
    </section>
  );
}

function CredentialList(p: {
  csrfToken: string;
  items: OwnCredential[];
  kind: "sessions" | "devices";
  what: string;
  empty: string;
  timeZone: string;
}) {
  if (!p.items.length) return <p>{p.empty}</p>;
  return (
    <ul class="credential-list" id={`own-${p.kind}`}>
      {p.items.map((i) => (
        <li>
          <strong>{i.clientLabel ?? p.what}</strong>, from {i.clientAddress ?? "an unknown address"}; signed in{" "}
          {minuteIn(new Date(i.createdAt), p.timeZone)}, last seen {minuteIn(new Date(i.lastUsedAt), p.timeZone)}
          {i.current ? (
            <strong> (this browser)</strong>
          ) : (
            <PostButton
              csrfToken={p.csrfToken}
              action={`/account/${p.kind}/${i.id}/end`}
              label="Sign out"
              name={`${i.clientLabel ?? p.what} ${i.id.slice(0, 6)}`}
            />
          )}
        </li>
      ))}
    </ul>
  );
}

/** "Where you are signed in": the user's web sessions and device tokens, each with End (not this browser: Sign out). */
export function SignedInSection(p: {
  csrfToken: string;
  sessions: OwnCredential[];
  devices: OwnCredential[];
  remembered: RememberedBrowser[];
  /** The user's site's IANA time zone: when each was signed in and last seen, to the minute. */
  timeZone: string;
}) {
  return (
    <section aria-labelledby="account-signed-in" id="signed-in">
      <h2 id="account-signed-in">Where you are signed in</h2>
      <h3>Browsers</h3>
      <CredentialList
        csrfToken={p.csrfToken}
        items={p.sessions}
        kind="sessions"
        what="Browser"
        empty="None."
        timeZone={p.timeZone}
      />
      <h3>Devices (apps using the device API)</h3>
      <CredentialList
        csrfToken={p.csrfToken}
        items={p.devices}
        kind="devices"
        what="Device"
        empty="None."
        timeZone={p.timeZone}
      />
      {p.sessions.some((x) => !x.current) || p.devices.length ? (
        <form method="post" action="/account/sign-out-others" id="sign-out-others">
          <CsrfField token={p.csrfToken} />
          <button type="submit" class="danger outline">
            Sign out everywhere else
          </button>
        </form>
      ) : null}
      <h3>Browsers that skip the code</h3>
      {p.remembered.length ? (
        <ul class="credential-list" id="own-remembered">
          {p.remembered.map((r) => (
            <li>
              {/* To the minute, as the signed-in browsers above: two of the same kind read apart. */}
              {r.browser}, added {minuteIn(new Date(r.createdAt), p.timeZone)}, last used{" "}
              {minuteIn(new Date(r.lastUsedAt), p.timeZone)}, until {dayIn(new Date(r.expiresAt), p.timeZone)}
              {r.current ? <strong> (this browser)</strong> : null}
              <PostButton
                csrfToken={p.csrfToken}
                action={`/account/remembered/${r.id}/forget`}
                label="Forget"
                name={r.browser}
              />
            </li>
          ))}
        </ul>
      ) : (
        <p>None.</p>
      )}
    </section>
  );
}
