// The mails' words (engine/mail/templates.ts, pure): "MFA activated" says how the user signs in
// with that factor (a passkey is no code), a lock gives its real length (the first is 30 s, not
// "one minute"), and the set-up mails name the methods the site's policy allows.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { renderMail } from "../../engine/mail/templates.js";

const t = suite("mail templates");
const base = { siteName: "Acme", username: "nora", displayName: "Nora" };

t("MFA activated: worded per factor", () => {
  const text = (facts: Record<string, unknown>) => renderMail("mfa_activated", { ...base, ...facts }, undefined).text;
  const passkey = text({ method: "passkey" });
  assert.match(passkey, "(a passkey). From now on you sign in with your password and your passkey.");
  assert.not.match(passkey, "a code");
  assert.match(
    text({ method: "passkey", passkeySignIn: true }),
    "with your password and your passkey, or with your passkey alone where the sign-in page offers it.",
  );
  assert.match(text({ method: "app" }), "with your password and a code from your authenticator app.");
  assert.match(text({ method: "hardware" }), "with your password and a code from your hardware token.");
});

t("a lock states the lock's own length", () => {
  const locked = (lockSeconds?: number) => renderMail("mfa_locked", { ...base, lockSeconds }, undefined).text;
  assert.match(locked(30), "so it is locked for 30 seconds.");
  assert.match(locked(60), "so it is locked for 1 minute.");
  assert.match(locked(90), "so it is locked for 1 minute and 30 seconds.");
  assert.match(locked(3600), "so it is locked for 60 minutes.");
  assert.match(locked(undefined), "so it is locked for a short time.");
  const admin = renderMail("admin_user_locked", { ...base, lockedUser: "pia", lockSeconds: 30 }, undefined).text;
  assert.match(admin, "The account pia is locked for 30 seconds after too many wrong codes.");
});

t("set-up mails name the allowed methods; every method without a policy", () => {
  for (const kind of ["mfa_enabled", "mfa_reminder", "mfa_reminder_now"] as const) {
    const all = renderMail(kind, base, undefined).text;
    assert.match(all, "a passkey (your phone, computer or security key confirms it is you), an authenticator app");
    assert.match(all, "or a hardware token your administrator gave you.");
    const some = renderMail(kind, { ...base, allowedMethods: ["app", "passkey"] }, undefined).text;
    assert.match(some, "a passkey (your phone, computer or security key confirms it is you) or an authenticator app");
    assert.not.match(some, "hardware token");
  }
});

t("MFA switched on names a reserved hardware token, unless the policy allows no hardware tokens", () => {
  const text = (facts: Record<string, unknown>) => renderMail("mfa_enabled", { ...base, ...facts }, undefined).text;
  assert.match(text({ reservedToken: "HW-0042" }), "A hardware token is reserved for you: serial number HW-0042.");
  assert.not.match(text({ reservedToken: null }), "reserved");
  assert.not.match(text({ reservedToken: "HW-0042", allowedMethods: ["app", "passkey"] }), "HW-0042");
});

t("MFA switched on, written only after its deadline (SMTP was down): at the next sign-in, no past date", () => {
  const text = (writtenAt: string) =>
    renderMail(
      "mfa_enabled",
      { ...base, deadline: "2026-06-03T09:00:00Z", delayDays: 2, writtenAt },
      "https://forms.example.test",
    ).text;
  assert.match(text("2026-06-01T09:00:00Z"), "Please set it up by Wednesday, 3 June 2026, 09:00 (UTC).");
  assert.match(text("2026-06-04T09:00:00Z"), "You must set it up at your next sign-in.");
  assert.not.match(text("2026-06-04T09:00:00Z"), "3 June");
});

t("a moved deadline: the new date, or the next sign-in when it is already reached", () => {
  const text = (facts: Record<string, unknown>) =>
    renderMail("mfa_deadline_moved", { ...base, ...facts }, "https://forms.example.test").text;
  const ahead = text({ deadline: "2026-06-22T09:00:00Z", writtenAt: "2026-06-02T09:00:00Z", delayDays: 20 });
  assert.match(ahead, "Please set it up by Monday, 22 June 2026, 09:00 (UTC).");
  assert.match(ahead, "Sign in: https://forms.example.test/login");
  const passed = text({ deadline: "2026-06-22T09:00:00Z", writtenAt: "2026-06-22T09:00:00Z", delayDays: 20 });
  assert.match(passed, "You must set it up at your next sign-in.");
});

t("no code, pass, key or password: the facts hold none, and the words add none", () => {
  const text = renderMail("mfa_activated", { ...base, method: "passkey" }, undefined).text;
  assert.not.match(text, /[A-Z0-9]{5}-[A-Z0-9]{5}/);
});

t.run();
