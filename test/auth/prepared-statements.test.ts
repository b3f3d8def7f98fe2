// @storage
import { randomBytes } from "node:crypto";
import { createRequire } from "node:module";
import type pg from "pg";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { api } from "../device/client.js";

// Issue 26: on PostgreSQL every statement of a sign-in step, and the session read of every page, is
// a named prepared statement (engine/db/pg-db.ts), so a connection parses and plans it once. Every
// query node-postgres is asked to run during a step is recorded with the connection that ran it: a
// planned statement sent without a name fails the test, and each named one must be among that
// connection's pg_prepared_statements afterwards. (On PGlite, test/db/pglite-prepared.test.ts.)
const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const FROM = { "x-forwarded-for": "203.0.113.9" };
// Statements that plan nothing, sent as they are (transaction control).
const UTILITY = /^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE)\b/i;

interface Sent {
  client: pg.Client;
  name: string | undefined;
  text: string;
}

const pgModule = createRequire(import.meta.url)("pg") as typeof pg;
// eslint-disable-next-line @typescript-eslint/unbound-method -- wrapped below and called with the client as `this`
const original = pgModule.Client.prototype.query;
let recording: Sent[] | null = null;
// The same module instance engine/db/pg-db.ts requires: every query of the pool passes here.
pgModule.Client.prototype.query = function (this: pg.Client, config: unknown, ...rest: unknown[]) {
  if (recording) {
    const c = typeof config === "string" ? { text: config } : (config as { name?: string; text: string });
    recording.push({ client: this, name: c.name, text: c.text });
  }
  return (original as (...a: unknown[]) => unknown).call(this, config, ...rest);
} as typeof original;

const t = suite<{ env: TestEnv; siteId: string }>(`prepared statements on the sign-in path [${testBackend}]`);

t.before(async (ctx) => {
  if (testBackend !== "pg") return;
  ctx.env = await startTestEnv({ TRUST_PROXY: true });
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => {
  pgModule.Client.prototype.query = original;
  await ctx.env?.close();
});
t.before.each((ctx) => ctx.env?.clock.advanceSeconds(60));

let n = 0;
async function mfaUser(env: TestEnv, siteId: string) {
  const username = `prepared${++n}`;
  const u = await env.services.users.create({ siteId, username, password: PASSWORD, deviceAccess: true });
  await env.services.mfa.settings.applySettings(u.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
  const p = appParams(randomBytes(20));
  assert.equal(await env.services.mfa.activation.activate(u.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN), {
    ok: true,
  });
  env.clock.advanceSeconds(60);
  return { username, p };
}

/** Runs `step` recording its queries; fails on an unnamed planned statement or one the connection did not keep. */
async function prepared(step: string, run: () => Promise<void>): Promise<string[]> {
  const sent: Sent[] = (recording = []);
  try {
    await run();
  } finally {
    recording = null;
  }
  const planned = sent.filter((s) => !UTILITY.test(s.text));
  assert.ok(planned.length > 0, `${step}: no statement recorded`);
  const unnamed = planned.filter((s) => !s.name).map((s) => s.text.replace(/\s+/g, " ").slice(0, 120));
  assert.equal(unnamed, [], `${step} sent statements unprepared`);
  for (const client of new Set(planned.map((s) => s.client))) {
    const query = original as unknown as (this: pg.Client, sql: string) => Promise<pg.QueryResult>;
    const kept = await query.call(client, "SELECT name, statement FROM pg_prepared_statements");
    const byName = new Map(kept.rows.map((r: { name: string; statement: string }) => [r.name, r.statement]));
    for (const s of planned.filter((p) => p.client === client)) {
      assert.is(byName.get(s.name!), s.text, `${step}: ${s.name} is not prepared on its connection`);
    }
  }
  return planned.map((s) => s.name!);
}

t(
  "device API: the password step and the TOTP step are prepared statements, the same ones each time",
  async ({ env, siteId }) => {
    if (testBackend !== "pg") return;
    const names: string[][] = [];
    for (const round of [1, 2]) {
      const u = await mfaUser(env, siteId);
      let challenge = "";
      const login = await prepared(`POST /api/device/login (${round})`, async () => {
        const r = await api(env.app, "POST", "/api/device/login", { username: u.username, password: PASSWORD }, FROM);
        assert.is(r.json.status, "mfa_required");
        challenge = r.json.challenge as string;
      });
      const mfa = await prepared(`POST /api/device/mfa (${round})`, async () => {
        const r = await api(env.app, "POST", "/api/device/mfa", { challenge, code: codeAt(env.clock, u.p) }, FROM);
        assert.is(r.json.status, "ok");
      });
      names.push([...login, ...mfa]);
    }
    // Stable texts: a second sign-in of another user reuses the first one's statements.
    assert.equal(names[1], names[0]);
  },
);

t("web: password step, code page, code step and a signed-in page are prepared statements", async ({ env, siteId }) => {
  if (testBackend !== "pg") return;
  const u = await mfaUser(env, siteId);
  const web = new TestClient(env.app, FROM);
  await web.get("/login");
  await prepared("POST /login", async () => {
    const login = await web.post("/login", { username: u.username, password: PASSWORD });
    assert.is(login.res.headers.get("location"), "/login/mfa");
  });
  await prepared("GET /login/mfa", async () => {
    assert.is((await web.get("/login/mfa")).res.status, 200);
  });
  await prepared("POST /login/mfa", async () => {
    const done = await web.post("/login/mfa", { code: codeAt(env.clock, u.p) });
    assert.is(done.res.headers.get("location"), "/");
  });
  // The session read every page does.
  await prepared("GET /", async () => {
    assert.is((await web.get("/")).res.status, 200);
  });
});

t("the check would fail: an unnamed statement is seen", async ({ env }) => {
  if (testBackend !== "pg") return;
  let failed = false;
  try {
    await prepared("BEGIN-less utility", async () => void (await env.db.exec("SELECT 1")));
  } catch {
    failed = true;
  }
  assert.ok(failed, "exec() sends its script unnamed, and the check must notice");
});

t.run();
