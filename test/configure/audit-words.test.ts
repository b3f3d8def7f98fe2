// The audit page's sentences (engine/audit/audit-words.ts): every action the engine writes has
// words of its own, so none reads as its raw name ("nora mfa.factor_remove for nora"); the
// reviewer's entries word which factor, which passkey, why a passkey was refused, and that a
// remembered browser skipped the code.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { AUDIT_ACTIONS, type AuditAction } from "../../engine/audit/audit-log.js";
import type { AuditRow } from "../../engine/audit/audit-search.js";
import { auditSentence } from "../../engine/audit/audit-words.js";

const t = suite("audit words");

const ENGINE = fileURLToPath(new URL("../../engine/", import.meta.url));

function* sourceFiles(dir: string): Generator<string> {
  for (const d of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, d.name);
    if (d.isDirectory()) yield* sourceFiles(path);
    else if (/\.tsx?$/.test(d.name)) yield path;
  }
}

/** Names of the actions' form that are not actions: record fields, a file name, a NOTIFY channel. */
const NOT_ACTIONS = new Set([
  "mfa.enabled",
  "mfa.status",
  "user.username",
  "user.role",
  "user.password",
  "user.email",
  "user.disabled",
  "app.schema.json",
  "mail.outbox.notify",
]);

const row = (action: string, details: Record<string, unknown> = {}, actorName = "nora", targetName = "nora") =>
  ({
    id: "1",
    at: new Date("2026-03-02T10:00:00Z"),
    siteId: null,
    actorId: null,
    actorName,
    action,
    targetUserId: null,
    targetName,
    details,
  }) as unknown as AuditRow;

t("every action name written anywhere in engine/ is in AUDIT_ACTIONS", () => {
  const prefixes = [...new Set(AUDIT_ACTIONS.map((a) => a.split(".")[0]))].join("|");
  const literal = new RegExp(`["'\`]((?:${prefixes})\\.[a-z_]+(?:\\.[a-z_]+)?)["'\`]`, "g");
  const unlisted: string[] = [];
  for (const path of sourceFiles(ENGINE)) {
    const rel = relative(ENGINE, path).split("\\").join("/");
    for (const m of readFileSync(path, "utf8").matchAll(literal)) {
      const name = m[1]!;
      if (!(AUDIT_ACTIONS as readonly string[]).includes(name) && !NOT_ACTIONS.has(name))
        unlisted.push(`${rel}: ${name}`);
    }
  }
  assert.equal(unlisted, [], "an action written but not in AUDIT_ACTIONS (engine/audit/audit-log.ts) would read raw");
});

t("every action in AUDIT_ACTIONS reads as a sentence, never as its raw name", () => {
  const raw: string[] = [];
  for (const action of AUDIT_ACTIONS) {
    const sentence = auditSentence(row(action));
    // The name itself, or its last part with its underscore ("factor_remove"), is the raw fallback.
    const last = action.slice(action.lastIndexOf(".") + 1);
    if (sentence.includes(action) || (last.includes("_") && sentence.includes(last)))
      raw.push(`${action}: ${sentence}`);
    if (/\bfor nora\b.*\bfor nora\b/.test(sentence)) raw.push(`${action}: ${sentence}`);
  }
  assert.equal(raw, []);
});

t("a removed factor, an added passkey and a refused passkey are named", () => {
  const cases: [AuditAction, Record<string, unknown>, string, string, string][] = [
    ["mfa.factor_remove", { factor: "passkey Laptop" }, "nora", "nora", "nora removed the passkey “Laptop”"],
    ["mfa.factor_remove", { factor: "authenticator app" }, "nora", "nora", "nora removed the authenticator app"],
    [
      "mfa.factor_remove",
      { factor: "hardware token HW-7" },
      "root",
      "nora",
      "root removed the hardware token HW-7 of nora",
    ],
    ["mfa.passkey_add", { method: "passkey", name: "YubiKey 5" }, "nora", "nora", "nora added the passkey “YubiKey 5”"],
    [
      "mfa.activate",
      { method: "passkey", name: "Phone" },
      "nora",
      "nora",
      "nora activated MFA with the passkey “Phone”",
    ],
    ["mfa.reset", { method: "passkey" }, "root", "nora", "root reset MFA for nora (passkeys removed)"],
    [
      "mfa.passkey_counter",
      { passkey: "Laptop", storedCounter: 5, receivedCounter: 3 },
      "system",
      "pia",
      "system refused a sign-in for pia with the passkey “Laptop”: its signature counter did not go up (stored 5, received 3), so the passkey may have been copied",
    ],
  ];
  for (const [action, details, actor, target, want] of cases) {
    assert.is(auditSentence(row(action, details, actor, target)), want);
  }
});

t("a sign-in that skipped the code on a remembered browser says so", () => {
  const details = { outcome: "success", surface: "web", address: "203.0.113.9", stage: "remembered_browser" };
  assert.is(
    auditSentence(row("sign_in.password", details)),
    "nora signed in with the password (web, from 203.0.113.9; no code asked: a remembered browser)",
  );
});

t("the policy entry names the site-wide settings it saved", () => {
  const details = {
    requiredRoles: ["admin"],
    defaultEnforcementDelayDays: 14,
    allowedMethods: ["passkey", "app"],
    passkeySignIn: true,
    rememberBrowserDays: 30,
  };
  assert.is(
    auditSentence(row("mfa.policy", details, "root", "")),
    "root set the site's MFA policy (required for admin, 14 days to set up; allowed: passkeys and authenticator apps; passkey sign-in on; browsers remembered for 30 days)",
  );
});

t.run();
