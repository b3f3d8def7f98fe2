// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { runMfaCommand } from "../../engine/cli/mfa-cli.js";
import { CliError } from "../../engine/cli/cli-args.js";
import { generateTotp, totpStep } from "../../engine/mfa/totp.js";
import { startTestEnv, TEST_SECRET_KEY, type TestEnv } from "../helpers/app.js";
import { rejects } from "../helpers/assert.js";
import { testBackend } from "../helpers/db.js";

const t = suite<{ env: TestEnv; userId: string; secret: Buffer }>(`formgate mfa [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  const admin = { id: null, name: "root", siteId };
  ctx.userId = (await s.users.create({ siteId, username: "alice" })).id;
  await s.users.create({ siteId, username: "plain" });
  ctx.env.clock.set("2026-05-04T08:00:00Z");
  await s.mfa.settings.applySettings(ctx.userId, { enabled: true, enforcementDelayDays: 3 }, admin);
  ctx.secret = randomBytes(20);
  const p = { secret: ctx.secret, algorithm: "SHA1" as const, digits: 6 as const, periodInSeconds: 30 };
  const r = await s.mfa.activation.activate(
    ctx.userId,
    { method: "app", ...p },
    generateTotp(p, totpStep(s.clock.now(), 30)),
    {
      id: ctx.userId,
      name: "alice",
      siteId: null,
    },
  );
  assert.equal(r, { ok: true });
});
t.after(async (ctx) => ctx.env.close());

const run = (env: TestEnv, ...args: string[]) => runMfaCommand(env.services, args);

t("status shows the state, never the secret", async ({ env, secret }) => {
  const out = await run(env, "status", "ALICE");
  assert.match(out, /^user: +alice \(site public\)$/m);
  assert.match(out, /^status: +Activated on 4 May 2026 with an authenticator app$/m);
  assert.match(out, /^enabled: +2026-05-04T08:00:00Z by root, delay 3 days, required from 2026-05-07T08:00:00Z$/m);
  assert.match(out, /^locked: +no$/m);
  for (const form of [secret.toString("hex"), secret.toString("base64")]) assert.not.ok(out.includes(form));
  assert.match(await run(env, "status", "plain"), /^status: +Off$/m);
});

t("unlock lifts a lock from failed codes and is audited", async ({ env, userId }) => {
  for (let i = 0; i < 5; i++) await env.services.mfa.codes.verifyCode(userId, "000000");
  assert.match(await run(env, "status", "alice"), /^locked: +until 2026-05-04T08:00:30Z$/m);
  assert.is(await run(env, "unlock", "alice"), "alice unlocked.");
  assert.is(await run(env, "unlock", "alice"), "alice was not locked.");
  const { rows } = await env.db.query<{ actor_name: string }>(
    "SELECT actor_name FROM audit_log WHERE action = 'mfa.unlock' AND target_user_id = $1",
    [userId],
  );
  // One entry: the second unlock lifted nothing.
  assert.equal(
    rows.map((r) => r.actor_name),
    ["cli"],
  );
});

t("reset deletes the enrollment, signs the user out and asks for a new setup", async ({ env, userId }) => {
  const siteId = (await env.services.sites.publicSite()).id;
  await env.services.sessions.create(userId, siteId, "full", null);
  const out = await run(env, "reset", "alice");
  assert.match(
    out,
    /^MFA of alice reset: enrollment deleted, sessions signed out; the next sign-in asks for a new setup\.$/m,
  );
  assert.match(out, /^status: +On — not activated, required from 7 May 2026, 08:00 \(UTC\)$/m);
  const { rows } = await env.db.query("SELECT 1 FROM sessions WHERE user_id = $1", [userId]);
  assert.is(rows.length, 0);
  assert.is((await env.services.mfa.afterPassword(userId)).status, "mfa_setup_required");
});

t("bad use is refused", async ({ env }) => {
  await rejects(run(env, "status", "nobody"), (e) => e instanceof CliError && /no user "nobody"/.test(e.message));
  await rejects(run(env, "frob", "alice"), /unknown mfa command "frob"/);
  await rejects(run(env, "status"), /needs a USERNAME/);
  await rejects(run(env, "status", "alice", "extra"), /unexpected arguments: extra/);
});

t("the formgate command knows mfa", () => {
  const r = spawnSync(process.execPath, ["bin/formgate.js", "mfa", "status"], {
    env: { ...process.env, DATA_DIR: "/nonexistent", FORMGATE_SECRET_KEY: TEST_SECRET_KEY },
    encoding: "utf8",
    timeout: 60_000,
  });
  assert.is(r.status, 1);
  assert.match(r.stderr, /^formgate: mfa status needs a USERNAME/);
  assert.match(r.stderr, /mfa unlock USERNAME/);
});

t.run();
