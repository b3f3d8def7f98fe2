// The MFA reset of the user dialog: what switching the slider off would reset, asked before it
// happens — after Save as a Confirm step (resetConfirmation), and with htmx already live when the
// slider is switched off (the mfa-reset-warning route). Both show ResetWarning's words.
import type { Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { StoredRecord } from "../../apps/record-store-contract.js";
import { slotId } from "../../render/fields.js";
import { RecordPage } from "../../render/record-pages.js";
import { MfaResetWarningRegion, ResetConfirm, ResetWarning, resetConsequences } from "../../render/reset-confirm.js";
import type { FormBody } from "../../schema/form-post.js";
import type { LiveRecovery } from "../../auth/credential-counts.js";
import type { Services } from "../../services.js";
import { plural } from "../../util/plural.js";
import type { AppEnv } from "../http/env.js";
import { sendPage } from "../http/page.js";
import { queryParam } from "../http/query.js";
import { recordTitle, type Resolved, type appResolver } from "./resolve.js";

/** What switching MFA off would reset now: the method and the consequences in words. */
export interface PendingReset {
  method: "app" | "hardware" | "passkey";
  /** What the reset removes, for the message after it: "authenticator app removed", "1 passkey removed". */
  removed: string;
  consequences: string[];
  /** What else it ends, for that message: "their sessions and device tokens, 8 recovery codes and access pass". */
  ended: string;
}

/**
 * What switching MFA off for user `userId` would reset now (their MFA is activated: the
 * authenticator or the token SERIAL, and their live web sessions and device tokens), or null when
 * there is nothing to reset (MFA off, or on but not activated yet). Reads only.
 */
export async function pendingReset(s: Services, userId: string): Promise<PendingReset | null> {
  const status = await s.mfa.statusOf(userId);
  if (status.state !== "active" || !status.activation) return null;
  const [live, recovery] = await Promise.all([s.credentialCounts.of(userId), s.credentialCounts.recovery(userId)]);
  const { method, tokenSerial, passkeys } = status.activation;
  // A token reserved for the user stays reserved after the reset: "back in the pool" would be untrue.
  const token = method === "hardware" && tokenSerial ? await s.hardware.registry.bySerial(tokenSerial) : null;
  const tokenReserved = token?.reservedForUserId === userId;
  const removed = [
    method === "hardware"
      ? `hardware token ${tokenSerial ?? ""} ${tokenReserved ? "unassigned, still reserved for them" : "back in the pool"}`.replace(
          "  ",
          " ",
        )
      : "",
    method === "app" ? "authenticator app removed" : "",
    passkeys.length ? `${plural(passkeys.length, "passkey")} removed` : "",
  ].filter(Boolean);
  return {
    method,
    removed: removed.join(", "),
    consequences: resetConsequences({
      method,
      tokenSerial,
      tokenReserved,
      passkeys: passkeys.length,
      ...live,
      ...recovery,
    }),
    ended: endedWords(recovery),
  };
}

/**
 * "their sessions and device tokens, their 8 recovery codes and their access pass": what a reset
 * or an administrator's password change ended besides the factor, for the message after the save.
 */
function endedWords(recovery: LiveRecovery, what = "their sessions and device tokens"): string {
  const parts = [
    what,
    recovery.recoveryCodes ? `their ${plural(recovery.recoveryCodes, "unused recovery code")}` : "",
    recovery.accessPass ? "their temporary access pass" : "",
  ].filter(Boolean);
  return parts.length === 1 ? parts[0]! : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}

/**
 * The words after a save that sets a user's password in the users app (its password field filled),
 * read before the save: what the change ends. For someone else: " The new password ended their
 * sessions and device tokens, their 8 unused recovery codes and their temporary access pass."
 * (recovery-kinds.ts: an administrator's change ends them); for the administrator's own account
 * the codes and pass stay and the saving session goes on. Empty without a new password.
 */
export async function passwordChangeNote(
  s: Services,
  r: Resolved,
  c: Context<AppEnv>,
  userId: string,
  values: Record<string, unknown>,
): Promise<string> {
  const field = r.app.usersApp ? r.app.bindings.get("user.password")?.name : undefined;
  if (!field || typeof values[field] !== "string" || values[field] === "") return "";
  if (c.var.session?.user.id === userId) return " The new password ended your other sessions and device tokens.";
  return ` The new password ended ${endedWords(await s.credentialCounts.recovery(userId))}.`;
}

/** The name of the field bound to mfa.enabled in a users app, or undefined for any other app. */
export function mfaEnabledField(r: Resolved): string | undefined {
  return r.app.usersApp ? r.app.bindings.get("mfa.enabled")?.name : undefined;
}

/**
 * The warning's place in an existing user's form (before the buttons), wired to the MFA slider and
 * showing `reset` at first (a form shown again after a save with the slider off); undefined for a
 * new record or an app without an MFA slider.
 */
export function mfaResetRegion(r: Resolved, record: StoredRecord | undefined, reset?: PendingReset | null) {
  const field = mfaEnabledField(r);
  if (!record || !field) return undefined;
  return (
    <MfaResetWarningRegion url={`${r.href}/${record.id}/mfa-reset-warning`} sliderId={`f-${slotId([field])}`}>
      {reset ? <ResetWarning username={recordTitle(r.app, record.values)} consequences={reset.consequences} /> : null}
    </MfaResetWarningRegion>
  );
}

/**
 * GET BASE/:recordId/mfa-reset-warning?FIELD=true — the warning fragment for the user dialog, where
 * FIELD is the field bound to mfa.enabled (the slider sends `true` while on and nothing while off).
 * Off for a user whose MFA is activated: ResetWarning (200); otherwise an empty answer (200).
 * Administrators only (403); a user of another site, or no such user, is a 404 alike; a value other
 * than `true` is a 400. Changes nothing.
 */
export function mfaResetWarningRoute(
  routes: Hono<AppEnv>,
  s: Services,
  path: string,
  resolver: ReturnType<typeof appResolver>,
): void {
  routes.get(path, async (c) => {
    const r = await resolver.resolve(c);
    resolver.requireEdit(r);
    const field = mfaEnabledField(r);
    if (!field) throw new HTTPException(404, { message: "This app has no MFA setting." });
    const record = await resolver.loadRecord(c, r);
    const value = queryParam(c, field);
    if (value !== undefined && value !== "true") {
      throw new HTTPException(400, { message: `"${field}" is "true" (on) or left out (off).` });
    }
    const reset = value === "true" ? null : await pendingReset(s, record.id);
    if (!reset) return sendPage(c, <></>);
    return sendPage(c, <ResetWarning username={recordTitle(r.app, record.values)} consequences={reset.consequences} />);
  });
}

/**
 * The answer to a save that switches MFA off for an activated user without confirm=mfa-reset: the
 * warning with a Confirm form that posts the same save again (every posted field but the CSRF
 * token, `confirm` and write-only fields such as the password, which the answer says were dropped)
 * and Cancel back to the list. In the dialog the form alone, else a page titled "Reset MFA for X?".
 */
export function resetConfirmation(
  c: Context<AppEnv>,
  r: Resolved,
  record: StoredRecord,
  body: FormBody,
  consequences: string[],
  dialog: boolean,
  listLabel: string | undefined,
) {
  const secret = new Set(r.app.fields.filter((f) => f.writeOnly).map((f) => f.name));
  const fields: [string, string][] = [];
  let droppedPassword = false;
  for (const [name, values] of Object.entries(body)) {
    if (name === "_csrf" || name === "confirm") continue;
    if (secret.has(name)) {
      droppedPassword ||= values.some((v) => v !== "");
      continue;
    }
    for (const v of values) fields.push([name, v]);
  }
  const title = recordTitle(r.app, record.values);
  const form = (
    <ResetConfirm
      csrfToken={c.var.csrfToken}
      username={title}
      action={`${r.href}/${record.id}`}
      fields={fields}
      consequences={consequences}
      cancelUrl={r.href}
      inDialog={dialog}
      droppedPassword={droppedPassword}
    />
  );
  if (dialog) return sendPage(c, form);
  return sendPage(
    c,
    <RecordPage frame={r.frame} title={`Reset MFA for ${title}?`} backUrl={r.href} backLabel={listLabel ?? r.app.title}>
      {form}
    </RecordPage>,
  );
}
