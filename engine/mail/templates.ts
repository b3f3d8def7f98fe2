import type { MailFacts, MailKind, RenderedMail } from "./mail-model.js";
import { plural } from "../util/plural.js";
import { DEFAULT_TIME_ZONE, minuteIn, weekdayIn } from "../util/zoned-dates.js";
import { listWords } from "../util/plural.js";

/** What a mail says: its subject (after the site's name) and its paragraphs. */
interface Words {
  subject: string;
  paras: string[];
}

/**
 * "Monday, 19 January 2026, 09:00 (Europe/Berlin)": a deadline in words, in the site's time zone
 * (`zone`, default UTC; engine/util/zoned-dates.ts). "now" without a deadline.
 */
export function deadlineInWords(iso: string | null | undefined, zone: string = DEFAULT_TIME_ZONE): string {
  if (!iso) return "now";
  const d = new Date(iso);
  return `${weekdayIn(d, zone)}, ${minuteIn(d, zone)}`;
}

/** The methods as the mails name them, in the order the policy page lists them. */
const METHOD_HOW: Record<string, string> = {
  passkey: "a passkey (your phone, computer or security key confirms it is you)",
  app: "an authenticator app on your phone (scan the QR code, type the code it shows)",
  hardware: "a hardware token your administrator gave you",
};

/**
 * How to set up MFA, naming the methods the site's policy allows (`allowedMethods`, added when
 * the mail is sent; every method when absent, as a site without a policy allows).
 */
function howToSetUp(f: MailFacts): string {
  const every = Object.keys(METHOD_HOW);
  // In METHOD_HOW's order, whatever order the facts hold them in; none known: every method.
  const allowed = Array.isArray(f.allowedMethods) ? every.filter((m) => f.allowedMethods!.includes(m)) : every;
  const ways = (allowed.length ? allowed : every).map((m) => METHOD_HOW[m]!);
  return `Sign in with your username and password; Formgate then shows you how to set up a second step: ${listWords(ways, "or")}.`;
}

/**
 * The hardware token reserved for the user ("HW-0042"), when there is one and the site's policy
 * allows hardware tokens; "" otherwise.
 */
function reservedTokenWords(f: MailFacts): string {
  const serial = typeof f.reservedToken === "string" ? f.reservedToken : "";
  if (!serial || (Array.isArray(f.allowedMethods) && !f.allowedMethods.includes("hardware"))) return "";
  return `A hardware token is reserved for you: serial number ${serial}. Get it from your administrator if you do not have it yet, and choose the hardware token when you set up.`;
}

/** How the user signs in from now on with the factor just activated. */
function signInFrom(f: MailFacts): string {
  switch (f.method) {
    case "passkey":
      return f.passkeySignIn === true
        ? "From now on you sign in with your password and your passkey, or with your passkey alone where the sign-in page offers it."
        : "From now on you sign in with your password and your passkey.";
    case "hardware":
      return "From now on you sign in with your password and a code from your hardware token.";
    case "app":
      return "From now on you sign in with your password and a code from your authenticator app.";
    default:
      return "From now on you sign in with your password and a second step.";
  }
}
const NOT_YOU = "If you did not expect this, tell your administrator.";

/**
 * Whether the mail's deadline is still ahead when the mail is written (`writtenAt`, added when it
 * is sent; absent: the enforcement delay, 0 meaning the deadline is the moment MFA was set).
 */
function deadlineAhead(f: MailFacts): boolean {
  if (!f.deadline) return false;
  if (typeof f.writtenAt === "string") return Date.parse(f.deadline) > Date.parse(f.writtenAt);
  return Number(f.delayDays ?? 0) > 0;
}

function words(kind: MailKind, f: MailFacts, login: string): Words {
  const by = deadlineInWords(f.deadline, f.timeZone ?? DEFAULT_TIME_ZONE);
  const signIn = `Sign in: ${login}`;
  switch (kind) {
    case "mfa_enabled":
      return {
        subject: "Set up two-step sign-in",
        paras: [
          `Your administrator switched on two-step sign-in (MFA) for your account ${f.username}.`,
          deadlineAhead(f)
            ? `Please set it up by ${by}. Until then you may put it off at sign-in; after that you must set it up to sign in.`
            : "You must set it up at your next sign-in.",
          howToSetUp(f),
          reservedTokenWords(f),
          signIn,
        ].filter(Boolean),
      };
    case "mfa_deadline_moved":
      return {
        subject: "New date to set up two-step sign-in",
        paras: [
          `Your administrator gave your account ${f.username} a new date to set up two-step sign-in (MFA).`,
          deadlineAhead(f)
            ? `Please set it up by ${by}. Until then you may put it off at sign-in; after that you must set it up to sign in.`
            : "You must set it up at your next sign-in.",
          howToSetUp(f),
          signIn,
        ],
      };
    case "mfa_reminder":
    case "mfa_reminder_now": {
      const overdue = f.step === "overdue";
      const days = f.step && /^\d+$/.test(f.step) ? Number(f.step) : null;
      const when = overdue
        ? `The deadline, ${by}, has passed: you must set it up at your next sign-in.`
        : days !== null
          ? `${days === 1 ? "One day is" : `${days} days are`} left: please set it up by ${by}.`
          : `Please set it up by ${by}.`;
      return {
        subject: overdue ? "Two-step sign-in is now required" : "Reminder: set up two-step sign-in",
        paras: [
          `Two-step sign-in (MFA) is on for your account ${f.username} and not set up yet.`,
          when,
          howToSetUp(f),
          signIn,
        ],
      };
    }
    case "mfa_activated":
      return {
        subject: "Two-step sign-in is set up",
        paras: [
          `Two-step sign-in was set up for your account ${f.username}${f.method ? ` (${methodWords(f.method)})` : ""}. ${signInFrom(f)}`,
          NOT_YOU,
        ],
      };
    case "mfa_reset":
      return {
        subject: "Your two-step sign-in was reset",
        paras: [
          `An administrator reset two-step sign-in for your account ${f.username}: your authenticator app, token or passkeys no longer work for it, and you were signed out everywhere.`,
          f.deadline
            ? `${deadlineAhead(f) ? `Set it up again by ${by}.` : "Set it up again at your next sign-in."} ${howToSetUp(f)}`
            : "",
          NOT_YOU,
          signIn,
        ].filter(Boolean),
      };
    case "mfa_disabled":
      return {
        subject: "Two-step sign-in was turned off",
        paras: [
          `An administrator turned off two-step sign-in for your account ${f.username}. You now sign in with your password alone.`,
          NOT_YOU,
        ],
      };
    case "password_changed":
      return {
        subject: "Your password was changed",
        paras: [
          `The password of your account ${f.username} was changed, and you were signed out everywhere else.`,
          NOT_YOU,
        ],
      };
    case "mfa_locked":
      return {
        subject: "Your account is locked after wrong codes",
        paras: [
          `Too many wrong codes were typed for your account ${f.username}, so it is locked for ${lockWords(f.lockSeconds)}. Your administrator can unlock it sooner.`,
          "If you did not try to sign in, someone may know your password: change it and tell your administrator.",
        ],
      };
    case "admin_user_locked":
      return {
        subject: `User ${f.lockedUser} locked after wrong codes`,
        paras: [
          `The account ${f.lockedUser} is locked for ${lockWords(f.lockSeconds)} after too many wrong codes.`,
          `You can unlock it in the user's dialog under Configure > Users: ${login.replace(/\/login$/, "/configure/users")}`,
        ],
      };
    case "recovery_code_used":
      return {
        subject: "A recovery code was used",
        paras: [`A recovery code was used to sign in to your account ${f.username}.`, NOT_YOU],
      };
    case "recovery_codes_new":
      return {
        subject: "New recovery codes",
        paras: [`New recovery codes were made for your account ${f.username}; the old ones no longer work.`, NOT_YOU],
      };
    case "access_pass_issued":
      return {
        subject: "A temporary access pass was issued",
        paras: [`An administrator issued a temporary access pass for your account ${f.username}.`, NOT_YOU],
      };
    case "passkey_added":
      return {
        subject: "A passkey was added",
        paras: [`A passkey was added to your account ${f.username}.`, NOT_YOU],
      };
    case "test":
      return {
        subject: "Test mail",
        paras: ["This is a test mail from Formgate: e-mail works.", signIn],
      };
  }
}

function methodWords(method: string): string {
  return method === "app"
    ? "authenticator app"
    : method === "hardware"
      ? "hardware token"
      : method === "passkey"
        ? "a passkey"
        : method;
}

/**
 * A lock's length as the lock set it (lockSeconds): "30 seconds", "2 minutes", "1 minute and 30
 * seconds" — never rounded up to a minute the lock does not last. "a short time" when unknown.
 */
function lockWords(seconds: number | undefined): string {
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds <= 0) return "a short time";
  const whole = Math.ceil(seconds);
  const m = Math.floor(whole / 60);
  const sec = whole % 60;
  const parts = [m ? plural(m, "minute") : "", sec ? plural(sec, "second") : ""].filter(Boolean);
  return parts.join(" and ");
}

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/**
 * Writes a mail of `kind` from its stored facts: the subject starts with the site's name in
 * brackets, the text and HTML say the same, and links go to `publicUrl` (PUBLIC_URL; without it
 * the text names the sign-in page's path). Pure: no clock, no database.
 */
export function renderMail(kind: MailKind, facts: MailFacts, publicUrl: string | undefined): RenderedMail {
  const login = `${(publicUrl ?? "").replace(/\/$/, "")}/login`;
  const w = words(kind, facts, login);
  const greeting = `Hello ${facts.displayName || facts.username || ""},`.replace(" ,", ",");
  const subject = `[${facts.siteName ?? "Formgate"}] ${w.subject}`;
  const text = [greeting, ...w.paras, "— Formgate"].join("\n\n") + "\n";
  const html =
    `<!doctype html><html><body style="font-family:sans-serif;line-height:1.5">` +
    [greeting, ...w.paras]
      .map((p) => `<p>${escapeHtml(p).replace(/(https?:\/\/[^\s<]+)/g, (url) => `<a href="${url}">${url}</a>`)}</p>`)
      .join("") +
    `<p>— Formgate</p></body></html>`;
  return { subject, text, html };
}
