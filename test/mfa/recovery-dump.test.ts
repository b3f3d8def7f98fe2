// @storage
// Issue 21: a pg_dump of the database holds no recovery code and no access pass in any readable
// form (display form, canonical form, lower case, hex or base64 of the text). PostgreSQL only:
// pg_dump reads a server, not the embedded database.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";

const t = suite<{ env: TestEnv }>(`no code or pass in a dump [${testBackend}]`);
t.before(async (ctx) => {
  ctx.env = await startTestEnv();
});
t.after(async (ctx) => ctx.env.close());

t("pg_dump contains none of the codes nor the pass", async ({ env }) => {
  if (testBackend !== "pg") return;
  const s = env.services;
  const siteId = (await s.sites.publicSite()).id;
  const admin = await s.users.create({ siteId, username: "root", role: "admin", password: "correct horse battery" });
  const actor = { id: admin.id, name: "root", siteId };
  const u = await s.users.create({ siteId, username: "dumped", password: "correct horse battery" });
  await s.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, actor);
  const p = appParams(Buffer.alloc(20, 3));
  assert.ok(
    (await s.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), { ...actor, id: u.id })).ok,
  );
  const codes = await s.recovery.codes.createSet(u.id, actor);
  const { pass } = await s.recovery.passes.issue(u.id, { validHours: 8, oneTime: true }, actor);
  const { rows } = await env.db.query<{ db: string }>("SELECT current_database() AS db");
  const dump = execFileSync("pg_dump", ["-h", "127.0.0.1", "-U", "postgres", "--data-only", rows[0]!.db], {
    encoding: "utf8",
    maxBuffer: 64 << 20,
  });
  assert.match(dump, /mfa_recovery_codes/, "the dump has the table");
  for (const secret of [...codes, pass]) {
    const canonical = secret.replace(/-/g, "");
    for (const form of [secret, canonical, canonical.toLowerCase()]) {
      assert.not.ok(dump.includes(form), `${form} is in the dump`);
      assert.not.ok(dump.includes(Buffer.from(form).toString("hex")), `hex of ${form} is in the dump`);
      assert.not.ok(dump.includes(Buffer.from(form).toString("base64")), `base64 of ${form} is in the dump`);
    }
  }
});

t.run();
