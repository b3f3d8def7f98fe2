import type { Child } from "hono/jsx";
import { CsrfField } from "./layout.js";

/**
 * "Check before you reset": what saving with MFA off will do to a user whose
 * MFA is activated, and a form that posts the same save again with
 * confirm=mfa-reset (every posted field carried along, passwords excepted).
 * In the dialog it posts through htmx and replaces itself with the answer.
 * Other irreversible actions (deleting a hardware token) use it with their own
 * `lead` and `confirm` value.
 */
export function ResetConfirm(p: {
  csrfToken: string;
  username: string;
  action: string;
  /** The posted fields to send again (no _csrf, no confirm, no password). */
  fields: [string, string][];
  consequences: string[];
  cancelUrl: string;
  inDialog: boolean;
  /** A password typed in the same save is not carried; say so. */
  droppedPassword: boolean;
  /** The first sentence, when the reset comes from something else than the slider (Unassign). */
  lead?: string;
  /** The value of the hidden `confirm` field the route checks; "mfa-reset" unless told. */
  confirm?: string;
}) {
  const hx = p.inDialog ? { "hx-post": p.action, "hx-target": "this", "hx-swap": "outerHTML" } : {};
  return (
    <form method="post" action={p.action} class="reset-confirm" {...hx}>
      <CsrfField token={p.csrfToken} />
      {p.fields.map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      <input type="hidden" name="confirm" value={p.confirm ?? "mfa-reset"} />
      <ResetWarning
        username={p.username}
        consequences={p.consequences}
        droppedPassword={p.droppedPassword}
        lead={p.lead}
      />
      <div class="form-actions">
        <button type="submit" class="delete">
          Confirm
        </button>{" "}
        <a
          href={p.cancelUrl}
          role="button"
          class="secondary outline"
          data-close-dialog={p.inDialog ? "true" : undefined}
        >
          Cancel
        </a>
      </div>
    </form>
  );
}

/**
 * The warning itself, in words: "Turning multi-factor authentication (MFA) off for USER resets it.
 * Nothing has changed yet. When you confirm:" and the consequences as a list (resetConsequences).
 * Shown by ResetConfirm above its Confirm button, and live in the user dialog as soon as the MFA
 * slider is switched off (MfaResetWarningRegion), so both say the same thing.
 */
export function ResetWarning(p: {
  username: string;
  consequences: string[];
  droppedPassword?: boolean;
  /** The first sentence, when the reset comes from something else than the slider (Unassign). */
  lead?: string | undefined;
}) {
  return (
    <div class="notice error reset-warning" role="alert">
      <p>
        <strong>{p.lead ?? `Turning multi-factor authentication (MFA) off for ${p.username} resets it.`}</strong>{" "}
        Nothing has changed yet. When you confirm:
      </p>
      <ul>
        {p.consequences.map((c) => (
          <li>{c}</li>
        ))}
      </ul>
      {p.droppedPassword ? <p>The new password you typed was not kept: enter it again after the reset.</p> : null}
    </div>
  );
}

/**
 * The place in the user dialog where the warning appears before Save (htmx): on every change of
 * the MFA slider (`sliderId`) it GETs `url` with the slider's value (`NAME=true` while on, nothing
 * while off) and shows the answer inside itself — ResetWarning while off for an activated user,
 * nothing otherwise. `children` is what it shows at first. Without JavaScript it stays as rendered
 * and Save → Confirm asks as before.
 */
export function MfaResetWarningRegion(p: { url: string; sliderId: string; children?: Child }) {
  return (
    <div
      id="mfa-reset-warning"
      class="mfa-reset-warning"
      hx-get={p.url}
      hx-trigger={`change from:#${p.sliderId}`}
      hx-include={`#${p.sliderId}`}
      hx-target="this"
      hx-swap="innerHTML"
    >
      {p.children ?? null}
    </div>
  );
}

/**
 * The consequences in words: "The authenticator app is removed", "2 web sessions and 1 device token
 * end", and the recovery codes and access pass that end with them.
 */
export function resetConsequences(p: {
  method: "app" | "hardware" | "passkey";
  tokenSerial: string | null;
  /** The hardware token was reserved for this user: it stays so after the reset (a reset ends no reservation). */
  tokenReserved?: boolean;
  /** How many passkeys the user holds (0 when omitted). */
  passkeys?: number;
  webSessions: number;
  deviceTokens: number;
  /** Unused recovery codes and a live temporary access pass: a reset ends them too (0/false when omitted). */
  recoveryCodes?: number;
  accessPass?: boolean;
}): string[] {
  const plural = (n: number, one: string, many: string) => `${n} ${n === 1 ? one : many}`;
  const passkeys = p.passkeys ?? 0;
  return [
    ...(p.method === "hardware"
      ? [
          (p.tokenReserved
            ? `Hardware token ${p.tokenSerial ?? ""} is taken back and stays reserved for this user (Release… on MFA Hardware ends that).`
            : `Hardware token ${p.tokenSerial ?? ""} goes back to the pool of available tokens.`
          ).replace("  ", " "),
        ]
      : p.method === "app"
        ? ["The authenticator app enrollment is removed; the user must set up MFA again if it is switched back on."]
        : []),
    ...(passkeys
      ? [
          `${plural(passkeys, "passkey is", "passkeys are")} removed; the user must set up MFA again if it is switched back on.`,
        ]
      : []),
    `${plural(p.webSessions, "web session", "web sessions")} and ${plural(p.deviceTokens, "device token", "device tokens")} end: the user must sign in again.`,
    ...recoveryEnds(p.recoveryCodes ?? 0, p.accessPass ?? false),
  ];
}

/**
 * What a reset or an administrator's password change ends of the user's ways back in, in words
 * (none: nothing): "Their 8 unused recovery codes stop working." and "Their temporary access pass
 * stops working."
 */
function recoveryEnds(recoveryCodes: number, accessPass: boolean): string[] {
  return [
    ...(recoveryCodes
      ? [`Their ${recoveryCodes} unused recovery ${recoveryCodes === 1 ? "code stops" : "codes stop"} working.`]
      : []),
    ...(accessPass ? ["Their temporary access pass stops working."] : []),
  ];
}
