import type { AuditRow } from "./audit-search.js";
import { listWords, plural } from "../util/plural.js";
import { DEFAULT_TIME_ZONE, minuteIn } from "../util/zoned-dates.js";

/** Field names whose values are never shown or exported, only that they "changed" (callers store none anyway). */
const SECRET_FIELD = /password|passphrase|secret|key$|token$/i;

const DAY_MS = 86_400_000;

const str = (v: unknown) => (typeof v === "string" ? v : v === undefined || v === null ? "" : JSON.stringify(v));
const days = (n: unknown) => `${str(n)} ${n === 1 ? "day" : "days"}`;
/** A stored count with its noun in the right number ("1 site", "2 sites"). */
const counted = (n: unknown, one: string, many = `${one}s`) => `${str(n)} ${n === 1 ? one : many}`;

/** Whether a detail or a changed field may hold a secret: its value is then only ever "changed". */
export function isSecretField(name: string): boolean {
  return SECRET_FIELD.test(name);
}

/** A detail value for people: "(empty)" for nothing, "changed" for a secret. */
export function detailText(name: string, v: unknown): string {
  if (isSecretField(name)) return "changed";
  return v === null || v === undefined || v === "" ? "(empty)" : str(v);
}

/** A save's changed fields as "field: before → after" (a secret only as "field: changed"). */
export function changeLines(details: Record<string, unknown>): string[] {
  const changes = details.changes;
  if (!changes || typeof changes !== "object") return [];
  return Object.entries(changes as Record<string, unknown>).map(([field, c]) =>
    !isSecretField(field) && c && typeof c === "object" && "before" in c && "after" in c
      ? `${field}: ${detailText(field, (c as { before: unknown }).before)} → ${detailText(field, (c as { after: unknown }).after)}`
      : `${field}: changed`,
  );
}

/** A factor by its method: "an authenticator app", "hardware token HW-1", "the passkey “Laptop”". */
function how(method: unknown, serial: unknown, name?: unknown): string {
  if (method === "hardware") return serial ? `hardware token ${str(serial)}` : "a hardware token";
  if (method === "totp" || method === "app") return "an authenticator app";
  if (method === "passkey") return name ? `the passkey ${quoted(name)}` : "a passkey";
  return method ? str(method) : "";
}

/** A name people gave (a passkey's) in quotes, so it never reads as part of the sentence. */
const quoted = (v: unknown) => `“${str(v)}”`;

/**
 * A removed factor as factor-removal.ts stores it ("authenticator app", "hardware token HW-1",
 * "passkey NAME"), with the passkey's name in quotes.
 */
function factorWords(factor: unknown): string {
  const f = str(factor);
  if (!f) return "a factor";
  return f.startsWith("passkey ") ? `the passkey ${quoted(f.slice("passkey ".length))}` : `the ${f}`;
}

/** The methods a policy allows, in words: "passkeys, authenticator apps and hardware tokens". */
const METHOD_WORDS: Record<string, string> = {
  passkey: "passkeys",
  app: "authenticator apps",
  hardware: "hardware tokens",
};

const MAIL_WORDS: Record<string, string> = {
  mfa_enabled: "“MFA switched on”",
  mfa_reminder: "MFA reminder",
  mfa_reminder_now: "MFA reminder",
  mfa_activated: "“MFA activated”",
  mfa_reset: "“MFA reset”",
  mfa_disabled: "“MFA turned off”",
  password_changed: "“password changed”",
  mfa_locked: "“account locked”",
  admin_user_locked: "“user locked”",
  test: "test",
};

function mailWords(kind: unknown): string {
  return MAIL_WORDS[str(kind)] ?? `“${str(kind).replace(/_/g, " ")}”`;
}

/** What follows a successful sign-in step, by its `stage` (none: the sign-in is done). */
const STAGE_WORDS = new Map<unknown, string>([
  // "mfa" of a passkey-only user (details.next "passkey") reads "; passkey next" instead (signInWords).
  ["mfa", "; code next"],
  ["mfa_setup", "; MFA setup next"],
  ["passwordless", "; without a password"],
  // A browser remembered after a code ("Don't ask again") skipped the code (engine/web/auth/login-routes.tsx).
  ["remembered_browser", "; no code asked: a remembered browser"],
]);

/**
 * A sign-in step's entry (engine/audit/sign-in-audit.ts) in words: outcome, surface, client address.
 * `step` is the action's factor (sign_in.password: "password").
 */
function signInWords(step: string, d: Record<string, unknown>): string {
  const where = `${d.surface === "device" ? "device API" : "web"}${d.address ? `, from ${str(d.address)}` : ""}`;
  if (d.outcome === "success") {
    const next = d.stage === "mfa" && d.next === "passkey" ? "; passkey next" : (STAGE_WORDS.get(d.stage) ?? "");
    return `signed in with the ${step} (${where}${next})`;
  }
  // A signed-in user's password asked again (a new password, removing a factor…): not a sign-in form's.
  const what = d.currentPassword === true ? `current ${step}` : step;
  if (d.outcome === "locked") return `was locked after wrong ${what}s (${where}; ${str(d.lockSeconds)} s)`;
  const wrong = step === "passkey" ? "offered a passkey that was refused" : `entered a wrong ${what}`;
  return `${wrong} (${where}; more in the next 15 minutes are not listed)`;
}

/**
 * What an entry did, in words, after its actor's name: "turned MFA on for nora (required from
 * 2 December 2026)", "reset MFA for nora (authenticator app removed)". `whom` is the target's name
 * (or the username kept in details once the user is deleted). Unknown actions read "ACTION for WHOM".
 */
export function whatHappened(r: AuditRow, zone: string = DEFAULT_TIME_ZONE): string {
  // Deadlines and a pass's end to the minute in the site's zone, as the status message words them.
  const longDate = (at: Date) => minuteIn(at, zone);
  const minuteWords = longDate;
  const d = r.details;
  const whom = r.targetName ?? "";
  const forWhom = whom ? ` for ${whom}` : "";
  switch (r.action) {
    case "mfa.enable": {
      const from =
        typeof d.requiredFrom === "string"
          ? new Date(d.requiredFrom)
          : typeof d.enforcementDelayDays === "number"
            ? new Date(r.at.getTime() + d.enforcementDelayDays * DAY_MS)
            : null;
      const rollout = d.rolloutId ? ", in a rollout" : "";
      return `turned MFA on${forWhom}${from ? ` (required from ${longDate(from)}${rollout})` : ""}`;
    }
    case "mfa.disable":
      return `turned MFA off${forWhom}`;
    case "mfa.reset": {
      const removed =
        d.method === "hardware"
          ? " (hardware token unassigned)"
          : d.method === "passkey"
            ? " (passkeys removed)"
            : d.method
              ? " (authenticator app removed)"
              : "";
      return `reset MFA${forWhom}${removed}`;
    }
    case "mfa.activate": {
      const own = whom && whom !== r.actorName ? ` for ${whom}` : "";
      return `activated MFA${own} with ${how(d.method, d.serialNumber, d.name)}`;
    }
    case "mfa.passkey_add":
      return `added the passkey ${quoted(d.name)}${whom && whom !== r.actorName ? ` for ${whom}` : ""}`;
    case "mfa.factor_remove":
      return `removed ${factorWords(d.factor)}${whom && whom !== r.actorName ? ` of ${whom}` : ""}`;
    case "mfa.passkey_counter":
      // The assertion's counter did not go up (passkey-assertion.ts): the sign-in was refused.
      return `refused a sign-in${forWhom} with the passkey ${quoted(d.passkey)}: its signature counter did not go up (stored ${str(d.storedCounter)}, received ${str(d.receivedCounter)}), so the passkey may have been copied`;
    case "mfa.delay_change":
      return `changed the enforcement delay${forWhom} from ${days(d.from)} to ${days(d.to)}`;
    case "mfa.deadline_move":
      return `moved the MFA deadline${forWhom} to ${typeof d.requiredFrom === "string" ? longDate(new Date(d.requiredFrom)) : "a new date"}`;
    case "mfa.lock":
      // Where the attempt came from (details.surface, address) is shown beside every entry (audit-page.tsx).
      return `locked ${whom || "an account"} after ${str(d.failures)} failed attempts`;
    case "mfa.postpone":
      return `put off setting up MFA (${days(d.daysLeft)} left${typeof d.requiredFrom === "string" ? `, required from ${longDate(new Date(d.requiredFrom))}` : ""})`;
    case "mfa.unlock":
      return `unlocked ${whom || "an account"}`;
    case "sign_in.password":
    case "sign_in.code":
    case "sign_in.passkey":
      return signInWords(r.action.slice("sign_in.".length), d);
    case "mfa.recovery_codes":
      // replaced 0: the user's first set (older entries lack the count: a new set, as they said).
      return `made ${d.replaced === 0 ? "a first" : "a new"} set of ${str(d.count)} recovery codes${whom && whom !== r.actorName ? ` for ${whom}` : ""}`;
    case "mfa.recovery_code_used":
      return `signed in with a recovery code (${str(d.left)} left)`;
    case "mfa.access_pass":
      return `issued a temporary access pass${forWhom}, valid until ${typeof d.validUntil === "string" ? minuteWords(new Date(d.validUntil)) : "?"}${d.oneTime ? " (once)" : ""}`;
    case "mfa.access_pass_used":
      return "signed in with a temporary access pass";
    case "mfa.rollout": {
      const from = typeof d.requiredFrom === "string" ? longDate(new Date(d.requiredFrom)) : "?";
      const counts = (c: unknown) => {
        const n = (c ?? {}) as Record<string, unknown>;
        const moved = typeof n.moved === "number" && n.moved ? `, ${counted(n.moved, "deadline")} moved` : "";
        return `${str(n.enabled ?? 0)} switched on${moved}, ${str(n.skipped ?? 0)} left as they were`;
      };
      const total = d.allSites && d.total ? `; in all, ${counted(d.sites, "site")}: ${counts(d.total)}` : "";
      return `rolled MFA out${d.allSites ? " on every site" : ""}, required from ${from} (${d.allSites ? "this site: " : ""}${counts(d)}${total})`;
    }
    case "mfa.policy": {
      // Entries before the site-wide settings existed hold only the roles and the delay.
      const methods = Array.isArray(d.allowedMethods)
        ? `; allowed: ${listWords((d.allowedMethods as unknown[]).map((m) => METHOD_WORDS[str(m)] ?? str(m)))}`
        : "";
      const passwordless =
        typeof d.passkeySignIn === "boolean" ? `; passkey sign-in ${d.passkeySignIn ? "on" : "off"}` : "";
      const remember =
        typeof d.rememberBrowserDays === "number"
          ? `; browsers remembered ${d.rememberBrowserDays ? `for ${days(d.rememberBrowserDays)}` : "never"}`
          : "";
      return `set the site's MFA policy (required for ${Array.isArray(d.requiredRoles) && d.requiredRoles.length ? d.requiredRoles.join(", ") : "no role"}, ${days(d.defaultEnforcementDelayDays)} to set up${methods}${passwordless}${remember})`;
    }
    case "hardware_token.register":
      return `registered hardware token ${str(d.serialNumber)}`;
    case "hardware_token.import":
      return `imported ${str(d.imported)} hardware tokens from ${str(d.fileName) || "a file"}`;
    case "hardware_token.disable":
    case "hardware_token.enable":
    case "hardware_token.delete":
      return `${r.action.slice("hardware_token.".length)}d hardware token ${str(d.serialNumber)}`;
    case "hardware_token.assign":
      return `assigned hardware token ${str(d.serialNumber)} to ${whom}`;
    case "hardware_token.unassign":
      return `unassigned hardware token ${str(d.serialNumber)} from ${whom}`;
    case "hardware_token.release":
      return `released hardware token ${str(d.serialNumber)} reserved for ${whom}`;
    case "user.create":
      return `created user ${whom}${d.role ? ` (${str(d.role)})` : ""}`;
    case "user.update": {
      const fields = Object.keys((d.changes as object | undefined) ?? {});
      const list = fields.length ? fields : Array.isArray(d.fields) ? (d.fields as string[]) : [];
      // Saves that changed no field no longer write this entry; older ones that did still read.
      return list.length ? `changed ${whom}: ${list.join(", ")}` : `saved ${whom} (no field changed)`;
    }
    case "user.delete":
      return `deleted user ${whom || str(d.username)}`;
    case "user.sign_out_others":
      return `signed out everywhere else (${str(d.sessions)} other ${d.sessions === 1 ? "browser" : "browsers"}, ${str(d.devices)} ${d.devices === 1 ? "device" : "devices"})`;
    case "user.password_change":
      return whom && whom !== r.actorName ? `changed the password of ${whom}` : "changed their own password";
    case "user.password_reset":
      return `reset the password of ${whom}`;
    case "mail.sent":
      return `sent the ${mailWords(d.kind)} mail${whom ? ` to ${whom}` : ""}`;
    case "mail.failed":
      return `could not send the ${mailWords(d.kind)} mail${whom ? ` to ${whom}` : ""}: ${str(d.reason)}`;
    case "mail.remind":
      return `sent ${whom ? whom : counted(d.queued, "pending user")} a reminder to set up MFA`;
    case "mail.settings":
      return `set the reminder days to ${Array.isArray(d.reminderDays) && d.reminderDays.length ? d.reminderDays.join(", ") : "none"}`;
    case "site.time_zone":
      return `set the site's time zone to ${str(d.to)} (was ${str(d.from)})`;
    case "site.create":
      return `created site ${str(d.slug)}`;
    case "audit.purge":
      return `deleted ${str(d.deleted)} audit entries from before ${str(d.before)} (kept ${str(d.retentionDays)} days)`;
    case "backup.create":
      return `made a backup of the database (${str(d.file)})`;
    case "backup.download":
      return `downloaded the backup ${str(d.file)}`;
    case "app.option.keep":
      return `kept the removed option ${quoted(d.option)} of field ${str(d.field)} in ${plural(Number(d.records ?? 0), "record")} of app ${str(d.app)}${d.version !== undefined ? ` (version ${str(d.version)})` : ""}`;
    case "app.option.map":
      return `changed the removed option ${quoted(d.option)} of field ${str(d.field)} to ${quoted(d.to)} in ${plural(Number(d.records ?? 0), "record")} of app ${str(d.app)}${d.version !== undefined ? ` (version ${str(d.version)})` : ""}`;
    default: {
      if (r.action.startsWith("app.")) {
        const verb = r.action.slice(4).replace(/_/g, " ");
        return `${verb.endsWith("e") ? `${verb}d` : `${verb}ed`} app ${str(d.app)}${d.version !== undefined ? ` (version ${str(d.version)})` : ""}`;
      }
      return `${r.action}${forWhom}`;
    }
  }
}

/**
 * "root turned MFA on for nora (required from 2 December 2026, 08:00 (UTC))": who, what, whom, dates
 * in `zone` (the site's; default UTC). The time of the entry is shown beside it.
 */
export function auditSentence(r: AuditRow, zone: string = DEFAULT_TIME_ZONE): string {
  return `${r.actorName} ${whatHappened(r, zone)}`;
}
