// @storage
// Property-based fuzzing of every GET and POST route of the router (read from app.routes, so a route
// is fuzzed the day it is written) with fast-check: as the administrator of the Public Site, as a
// half-signed-in user (MFA setup pending) and anonymously. Properties: never a 5xx (nor a body that
// breaks off), and a 4xx changes nothing (every table hashed before and after; see snapshot.ts for
// what a refusal may legitimately touch). Seeded (FUZZ_SEED, printed) and bounded in time
// (FUZZ_SECONDS per backend, default 50: about 100 s for both in CI on 2 cores).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import fc from "fast-check";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";
import { changedTables, snapshot, snapshotQuery } from "./snapshot.js";
import { csrfTokenFor } from "../../engine/web/http/csrf.js";
import {
  CSRF_FORGERIES,
  arbitraries,
  describe,
  materialise,
  PARAM,
  routeMatches,
  type Endpoint,
  type FuzzWorld,
  type Principal,
  type ScrapedForm,
} from "./requests.js";

const SEED = Number(process.env.FUZZ_SEED ?? 20260917);
const SECONDS = Number(process.env.FUZZ_SECONDS ?? 50);
const PASSWORD = "correct horse battery";
const DEVICE_PASSWORD = "device user password";
const APP = "equipment-inspections";

interface Ctx {
  env: TestEnv;
  clients: Record<Principal, TestClient>;
  ids: { publicSite: string; alice: string; pend: string; dev: string; act: string };
  world: FuzzWorld;
  endpoints: Endpoint[];
}

const t = suite<Ctx>(`fuzz every route [${testBackend}]`);

const decode = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;|&#x27;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");

const attr = (tag: string, name: string) => {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m ? decode(m[1]!) : undefined;
};

/** The forms of a page with the values they hold, as a browser would post them. */
function scrapeForms(html: string): ScrapedForm[] {
  const forms: ScrapedForm[] = [];
  for (const m of html.matchAll(/<form([^>]*)>([\s\S]*?)<\/form>/g)) {
    const action = attr(m[1]!, "action");
    if (!action || !action.startsWith("/")) continue;
    const fields: [string, string][] = [];
    for (const tag of m[2]!.matchAll(
      /<(input|textarea|select|button)([^>]*)>(?:([\s\S]*?)<\/(?:textarea|select)>)?/g,
    )) {
      const [, kind, attrs, inner] = tag;
      const name = attr(attrs!, "name");
      if (!name) continue;
      if (kind === "input") {
        const type = attr(attrs!, "type") ?? "text";
        if ((type === "checkbox" || type === "radio") && !/\schecked/.test(attrs!)) continue;
        if (type === "file") continue;
        fields.push([name, attr(attrs!, "value") ?? ""]);
      } else if (kind === "textarea") fields.push([name, decode(inner ?? "")]);
      else if (kind === "select") {
        const option = /<option[^>]*selected[^>]*>/.exec(inner ?? "")?.[0] ?? /<option[^>]*>/.exec(inner ?? "")?.[0];
        fields.push([name, option ? (attr(option, "value") ?? "") : ""]);
      }
    }
    forms.push({ action: action.split("?")[0]!, fields });
  }
  return forms;
}

t.before(async (ctx) => {
  // A DATA_DIR of its own: Back up now (POST /configure/backups) writes into DATA_DIR/backups.
  ctx.env = await startTestEnv({ DATA_DIR: mkdtempSync(join(tmpdir(), "formgate-fuzz-")) });
  const s = ctx.env.services;
  const publicSite = (await s.sites.publicSite()).id;
  await s.sites.create("north", "North");
  const alice = await s.users.create({ siteId: publicSite, username: "alice", password: PASSWORD, role: "admin" });
  const dev = await s.users.create({
    siteId: publicSite,
    username: "dev",
    password: DEVICE_PASSWORD,
    role: "user",
    deviceAccess: true,
  });
  const pend = await s.users.create({ siteId: publicSite, username: "pend", password: PASSWORD, role: "user" });
  const actor = { id: alice.id, name: "alice", siteId: publicSite };
  await s.mfa.settings.applySettings(pend.id, { enabled: true, enforcementDelayDays: 0 }, actor);
  // An activated user: the MFA reset (Confirm, and the dialog's live warning) has something to reset.
  const act = await s.users.create({ siteId: publicSite, username: "act", password: PASSWORD, role: "user" });
  await s.mfa.settings.applySettings(act.id, { enabled: true, enforcementDelayDays: 0 }, actor);
  const actParams = appParams(Buffer.alloc(20, 7));
  const activated = await s.mfa.activation.activate(
    act.id,
    { method: "app", ...actParams },
    codeAt(ctx.env.clock, actParams),
    {
      id: act.id,
      name: "act",
      siteId: null,
    },
  );
  assert.ok(activated.ok, "fixture: act activated");
  const app = (await s.apps.get(publicSite, APP))!;
  const record = await s.apps
    .storeFor(app)
    .create(
      app,
      { siteId: publicSite, actor: { id: alice.id, name: "alice" } },
      { equipment: "Drill press", serialNumber: "DP-1", inspectedOn: "2026-01-02", result: "pass" },
    );
  const { token } = await s.hardware.registry.register(
    { name: "Fuzz key", serialNumber: "FZ-0001", timeInterval: "30", secretKey: "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP" },
    { id: alice.id, name: "alice" },
    publicSite,
  );
  const uploadId = await s.hardware.uploads.stage(
    alice.id,
    "tokens.csv",
    Buffer.from("serial,seed,type,digits,time step\nFZ-0002,3132333435363738393031323334353637383930,totp,6,30\n"),
  );
  const bearer = (await s.deviceTokens.issue(dev.id, null)).token;
  // A rollout that gave pend its deadline (still 0 days): its page, reminders and "Extend the deadline".
  const { rolloutId } = await s.rollouts.apply(
    { siteId: publicSite, ids: [pend.id] },
    { enforcementDelayDays: 0, moveDeadlines: true, name: "Fuzz rollout" },
    actor,
  );
  // A backup to download (none on PostgreSQL: the route answers 404 there).
  const backup = s.backups.available ? (await s.backups.create("page")).name : "none.fgbackup";
  // An administrator on a device: the record routes' writes are reached, not only their 403.
  const devAdmin = await s.users.create({
    siteId: publicSite,
    username: "devadmin",
    password: DEVICE_PASSWORD,
    role: "admin",
    deviceAccess: true,
  });
  const adminBearer = (await s.deviceTokens.issue(devAdmin.id, null)).token;

  const clients = {
    admin: new TestClient(ctx.env.app),
    anonymous: new TestClient(ctx.env.app),
    pending: new TestClient(ctx.env.app),
    // Password done, code pending (MFA activated): /login/mfa and /login/recovery are theirs.
    code: new TestClient(ctx.env.app),
  };
  assert.is((await clients.admin.signIn("alice", PASSWORD)).res.headers.get("location"), "/");
  assert.is((await clients.pending.signIn("pend", PASSWORD)).res.headers.get("location"), "/mfa/setup");
  assert.is((await clients.code.signIn("act", PASSWORD)).res.headers.get("location"), "/login/mfa");
  await clients.anonymous.get("/login");
  ctx.clients = clients;
  ctx.ids = { publicSite, alice: alice.id, pend: pend.id, dev: dev.id, act: act.id };

  const seen = new Set<string>();
  // Every GET and POST route; a route for every method (middleware, the device API's 404/405) is
  // fuzzed with both, its wildcard standing for any further path.
  ctx.endpoints = ctx.env.app.routes
    .flatMap((r) => (r.method === "ALL" ? ["GET", "POST"] : [r.method]).map((method) => ({ method, pattern: r.path })))
    .filter((e): e is Endpoint => ["GET", "POST", "PATCH", "DELETE"].includes(e.method))
    .map((e) => ({ ...e, pattern: e.pattern.replace(/\*$/, ":rest") }))
    .filter((e) => !seen.has(`${e.method} ${e.pattern}`) && seen.add(`${e.method} ${e.pattern}`));

  const params: Record<string, string[]> = {
    appId: [APP, "user-accounts", "nope"],
    section: ["1", "2", "0", "99"],
    recordId: [record.id, alice.id, dev.id, pend.id, act.id],
    id: [token.id, rolloutId],
    uploadId: [uploadId],
    token: ["x"],
    file: ["app.css", "forms.js", "htmx.min.js"],
    rest: ["x", "login", "me", "new", "a/b"],
    // A designer field (…/fields/:name) or a backup file (/configure/backups/:name).
    name: ["equipment", "x", backup, "none.fgbackup"],
  };
  // Every form a page shows, as the administrator and as the half-signed-in user sees it.
  const forms: ScrapedForm[] = [];
  for (const e of ctx.endpoints.filter((e) => e.method === "GET")) {
    const path = e.pattern.replace(PARAM, (_m, name: string) => params[name]?.[0] ?? "x");
    for (const client of [clients.admin, clients.pending, clients.code]) {
      const page = await client.get(path);
      if (page.res.status === 200) forms.push(...scrapeForms(page.html));
    }
  }
  const warning = await clients.admin.get(`/configure/users/${act.id}/mfa-reset-warning`);
  assert.match(warning.html, /off for act resets it/, "the live reset warning route is reached with content");
  const unfuzzed = ctx.endpoints.filter(
    (e) => e.method === "POST" && !forms.some((f) => routeMatches(e.pattern, f.action)),
  );
  console.log(
    `fuzz [${testBackend}]: ${ctx.endpoints.length} routes from the router, ${forms.length} forms; ` +
      `POST routes without a form on any page (random fields only): ${unfuzzed.map((e) => e.pattern).join(", ") || "none"}`,
  );
  ctx.world = {
    params,
    forms,
    bearer: [bearer, adminBearer],
    values: [
      "alice",
      "dev",
      "pend",
      "nobody",
      PASSWORD,
      DEVICE_PASSWORD,
      "admin",
      "designer",
      "user",
      "pass",
      "fail",
      "app",
      "hardware",
      "later",
      "FZ-0001",
      "30",
      "60",
      "6",
      "8",
      "SHA1",
      "JBSWY3DPEHPK3PXP",
      "3132333435363738393031323334353637383930",
      "123456",
      // A recovery code and an access pass in shape (not live ones): /login/recovery gets past its 422.
      "7K3QD-XM2PA",
      "7K3Q-DXM2-PA7K-3Q",
      "12345678",
      "yes",
      // The confirmation value of a hardware token's Delete (the confirm page is a POST answer, never scraped).
      "delete-token",
      // ... and of its Release… (a reservation).
      "release-reservation",
      "1",
      "2026-01-02",
      "2026-01-02T10:00",
      "public",
      "north",
      "up",
      "down",
      record.id,
      alice.id,
      token.id,
      uploadId,
      APP,
    ],
  };
});
t.after(async (ctx) => {
  await ctx.env.close();
  rmSync(ctx.env.services.config.DATA_DIR, { recursive: true, force: true });
});

t("never a 5xx, and a 4xx changes nothing", async (ctx) => {
  const { env, clients, ids } = ctx;
  const s = env.services;
  const query = await snapshotQuery(env.db);
  const expected: Record<Exclude<Principal, "anonymous">, { userId: string; stage: "full" | "mfa_setup" | "mfa" }> = {
    admin: { userId: ids.alice, stage: "full" },
    pending: { userId: ids.pend, stage: "mfa_setup" },
    code: { userId: ids.act, stage: "mfa" },
  };

  /** Puts each principal back where the suite wants it (a fuzzed request may sign out, or sign in). */
  async function repair(): Promise<boolean> {
    let changed = false;
    for (const [name, want] of Object.entries(expected) as [keyof typeof expected, (typeof expected)["admin"]][]) {
      const client = clients[name];
      const token = client.cookies.get("fg_session");
      const session = token ? await s.sessions.validate(token) : null;
      if (session?.user.id === want.userId && session.stage === want.stage) continue;
      const { token: fresh } = await s.sessions.create(want.userId, ids.publicSite, want.stage, null);
      client.cookies.set("fg_session", fresh);
      changed = true;
    }
    clients.anonymous.cookies.delete("fg_session");
    return changed;
  }

  // The snapshot sees a change anywhere (else the property below could not fail).
  const quiet = await snapshot(env.db, query);
  await env.db.query("UPDATE users SET display_name = display_name || 'x' WHERE id = $1", [ids.dev]);
  assert.equal(changedTables(quiet, await snapshot(env.db, query)), ["users"]);
  await env.db.query("UPDATE users SET display_name = left(display_name, -1) WHERE id = $1", [ids.dev]);
  assert.equal(changedTables(quiet, await snapshot(env.db, query)), []);

  const stats = {
    requests: 0,
    refusals: 0,
    fiveHundreds: 0,
    forgeries: 0,
    byPrincipal: { admin: 0, anonymous: 0, pending: 0, code: 0 },
  };
  const statuses = new Map<number, number>();
  const timeByRoute = new Map<string, number>();
  let before = await snapshot(env.db, query);
  const { request } = arbitraries(ctx.world);
  const requestArb = fc.constantFrom(...ctx.endpoints).chain(request);
  const started = performance.now();

  const details = await fc.check(
    fc.asyncProperty(requestArb, async (plan) => {
      const client = clients[plan.principal];
      const userId = plan.principal === "anonymous" ? null : expected[plan.principal].userId;
      const signed = csrfTokenFor(s.csrfKey, client.cookies.get("fg_csrf") ?? "", userId);
      const { url, init } = materialise(plan, signed);
      const logFrom = env.logLines.length;
      stats.requests++;
      stats.byPrincipal[plan.principal]++;
      const sent = performance.now();
      const res = await client.request(url, init);
      const route = `${plan.endpoint.method} ${plan.endpoint.pattern.replace(PARAM, ":$1")}`;
      timeByRoute.set(route, (timeByRoute.get(route) ?? 0) + performance.now() - sent);
      try {
        await res.arrayBuffer();
      } catch (err) {
        throw new Error(`the body of a ${res.status} broke off (${(err as Error).message}): ${describe(plan)}`, {
          cause: err,
        });
      }
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
      const unsafe = plan.endpoint.method !== "GET" && !plan.endpoint.pattern.startsWith("/api/device/");
      if (unsafe && (CSRF_FORGERIES as readonly string[]).includes(plan.csrf)) {
        stats.forgeries++;
        // Refused by the CSRF check (403), or before it by the body readers (400 malformed, 413 too large).
        if (![403, 400, 413].includes(res.status)) {
          throw new Error(`a CSRF forgery answered ${res.status}: ${describe(plan)}`);
        }
      }
      if (res.status >= 500) {
        stats.fiveHundreds++;
        const errors = env.logLines.slice(logFrom).filter((l) => /"level":"error"/.test(l));
        throw new Error(`${res.status} for ${describe(plan)}\n${errors.join("\n").slice(0, 3000)}`);
      }
      const after = await snapshot(env.db, query);
      if (res.status >= 400) {
        stats.refusals++;
        const changed = changedTables(before, after);
        if (changed.length) {
          throw new Error(`${res.status} changed ${changed.join(", ")}: ${describe(plan)}`);
        }
      }
      before = after;
      if (await repair()) before = await snapshot(env.db, query);
    }),
    {
      seed: SEED,
      numRuns: 1_000_000,
      interruptAfterTimeLimit: SECONDS * 1000,
      // Requests change the database, so a shrunk replay would not mean the same: report the first failure.
      endOnFailure: true,
    },
  );
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  const byStatus = [...statuses]
    .sort((a, b) => a[0] - b[0])
    .map(([k, v]) => `${k}:${v}`)
    .join(" ");
  console.log(
    `fuzz [${testBackend}]: seed ${SEED}, ${stats.requests} requests in ${seconds} s ` +
      `(admin ${stats.byPrincipal.admin}, anonymous ${stats.byPrincipal.anonymous}, half-signed-in ${stats.byPrincipal.pending}, at the code step ${stats.byPrincipal.code}); ` +
      `5xx seen: ${stats.fiveHundreds}; CSRF forgeries refused: ${stats.forgeries}; 4xx checked against the table snapshot: ${stats.refusals}; statuses ${byStatus}`,
  );
  const slowest = [...timeByRoute].sort((a, b) => b[1] - a[1]).slice(0, 3);
  console.log(
    `fuzz [${testBackend}]: most time in ${slowest.map(([r, ms]) => `${r} ${(ms / 1000).toFixed(1)} s`).join(", ")}`,
  );
  // A failure first: it ends the run early, and its message is what matters, not the count.
  if (details.failed) {
    assert.unreachable(
      `fuzz failure (replay with FUZZ_SEED=${SEED}): ${details.errorInstance instanceof Error ? details.errorInstance.message : String(details.errorInstance)}`,
    );
  }
  assert.ok(stats.requests > 100, "the fuzzer ran");
});

t.run();
