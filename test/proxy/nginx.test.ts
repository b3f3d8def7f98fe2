// @postgres
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { VERSION_TTL_MS } from "../../engine/apps/app-registry.js";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { silentLogger } from "../../engine/log.js";
import { createServices, type Services } from "../../engine/services.js";
import { testConfig, TestClient, TEST_SECRET_KEY } from "../helpers/app.js";
import { WatchedChild } from "../helpers/child-process.js";
import { createDatabase } from "../helpers/db.js";
import { skipSuite } from "../helpers/skip.js";
import { loudHook } from "../helpers/loud-hook.js";

/*
 * A scaled-out deployment: two Formgate server processes (engine/main.ts) on
 * one PostgreSQL database, with one FORMGATE_SECRET_KEY and TRUST_PROXY=true,
 * behind nginx round-robin. Each process has its own caches, so what one
 * instance does must reach the other through the database. nginx names the
 * instance that answered in X-Upstream.
 */

const NGINX = "/usr/sbin/nginx";
const PASSWORD = "correct horse battery";

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

interface Instance {
  /** host:port, as nginx reports it in X-Upstream. */
  address: string;
  url: string;
  server: WatchedChild;
  /** Resolves once the instance serves (it logged "listening" and /healthz answers), or fails with its output. */
  listening: Promise<void>;
}

interface Ctx {
  db: Db;
  services: Services;
  drop(): Promise<void>;
  instances: Instance[];
  dir: string;
  nginx: ChildProcess;
  base: string;
}
const t = suite<Ctx>("behind nginx, two server processes [pg]");

/** The address browsers use; CSRF accepts forms only from its origin (engine/web/http/csrf.ts). */
const PUBLIC_URL = "https://forms.example.test";

/** Starts engine/main.ts on a free port. */
async function startInstance(databaseUrl: string): Promise<Instance> {
  const port = await freePort();
  const server = new WatchedChild(["--import", "tsx", "engine/main.ts"], {
    DATABASE_URL: databaseUrl,
    FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
    TRUST_PROXY: "true",
    PUBLIC_URL,
    PORT: String(port),
    LOG_LEVEL: "info",
  });
  const url = `http://127.0.0.1:${port}`;
  const listening = (async () => {
    await server.waitFor(`instance on port ${port} to listen`, (l) => l.includes('"msg":"listening"'));
    const health = await fetch(`${url}/healthz`);
    assert.is(health.status, 200, server.tail());
    assert.equal(await health.json(), { status: "ok", database: "pg" });
  })();
  return { address: `127.0.0.1:${port}`, url, server, listening };
}

t.before(
  loudHook(async (ctx) => {
    ctx.instances = [];
    const database = await createDatabase();
    ctx.drop = database.drop;
    ctx.db = openPgDb(database.url);
    await migrate(ctx.db);
    const s = (ctx.services = createServices(
      ctx.db,
      new ManualClock(),
      testConfig(),
      silentLogger,
      Buffer.from(TEST_SECRET_KEY, "base64"),
    ));
    const site = await s.sites.publicSite();
    await s.users.create({ siteId: site.id, username: "alice", password: PASSWORD });
    await s.users.create({ siteId: site.id, username: "dora", password: PASSWORD, role: "designer" });

    // Both start at once, as a deployment's do (migrations take an advisory lock); after() stops whichever started.
    for (let i = 0; i < 2; i++) ctx.instances.push(await startInstance(database.url));
    await Promise.all(ctx.instances.map((i) => i.listening));
    const port = await freePort();
    ctx.dir = mkdtempSync(join(tmpdir(), "formgate-nginx-"));
    const conf = join(ctx.dir, "nginx.conf");
    writeFileSync(
      conf,
      `daemon off;
worker_processes 1;
pid ${ctx.dir}/nginx.pid;
error_log ${ctx.dir}/error.log;
events { worker_connections 64; }
http {
  access_log ${ctx.dir}/access.log;
  client_body_temp_path ${ctx.dir}/body;
  proxy_temp_path ${ctx.dir}/proxy;
  fastcgi_temp_path ${ctx.dir}/fastcgi;
  uwsgi_temp_path ${ctx.dir}/uwsgi;
  scgi_temp_path ${ctx.dir}/scgi;
  upstream formgate { ${ctx.instances.map((i) => `server ${i.address};`).join(" ")} }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://formgate;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
      add_header X-Upstream $upstream_addr always;
    }
  }
}
`,
    );
    ctx.nginx = spawn(NGINX, ["-c", conf, "-p", ctx.dir], { stdio: "ignore" });
    ctx.base = `http://127.0.0.1:${port}`;
    // Waiting for nginx to bind its port (it prints nothing when ready), with a deadline.
    const deadline = performance.now() + 10_000;
    for (;;) {
      const answer = await fetch(`${ctx.base}/healthz`).catch(() => null);
      if (answer?.status === 200) break;
      if (ctx.nginx.exitCode !== null || performance.now() > deadline) {
        const log = existsSync(`${ctx.dir}/error.log`) ? readFileSync(`${ctx.dir}/error.log`, "utf8") : "";
        throw new Error(`nginx did not answer (${answer?.status ?? "no connection"}): ${log}`);
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }),
);

t.after(async (ctx) => {
  if (ctx.nginx && ctx.nginx.exitCode === null) {
    ctx.nginx.kill("SIGTERM");
    await new Promise((r) => ctx.nginx.once("exit", r));
  }
  await Promise.all((ctx.instances ?? []).map((i) => i.server.stop()));
  await ctx.db?.close();
  await ctx.drop?.();
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

/** A TestClient whose requests go over the network to `base` (nginx, or one instance). */
function networkClient(base: string, headers: Record<string, string> = {}) {
  const overNetwork = {
    request: (path: string, init: RequestInit) => fetch(base + path, { ...init, redirect: "manual" }),
  };
  return new TestClient(overNetwork as never, { origin: PUBLIC_URL, ...headers });
}

/** The same browser (cookies, CSRF token) talking to another address. */
function sameBrowser(c: TestClient, base: string): TestClient {
  const other = networkClient(base);
  for (const [k, v] of c.cookies) other.cookies.set(k, v);
  other.csrf = c.csrf;
  return other;
}

t(
  "sign-in through nginx gives Secure cookies; the session signed in on one instance works on the other",
  async (ctx) => {
    const c = networkClient(ctx.base);
    const { res } = await c.signIn("alice", PASSWORD);
    assert.is(res.status, 303);
    const cookies = res.headers.getSetCookie();
    assert.ok(cookies.length > 0);
    assert.ok(
      cookies.every((l) => /;\s*Secure/i.test(l)),
      cookies.join(" | "),
    );
    assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=/);
    const signedInOn = res.headers.get("x-upstream");
    assert.ok(
      ctx.instances.some((i) => i.address === signedInOn),
      `X-Upstream ${signedInOn}`,
    );
    // Round-robin alternates; every answer is the signed-in page, from both processes.
    const servedBy = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const r = await c.request("/");
      assert.is(r.status, 200);
      assert.match(await r.text(), /Welcome, alice/);
      servedBy.add(r.headers.get("x-upstream")!);
    }
    assert.equal([...servedBy].sort(), ctx.instances.map((i) => i.address).sort());
  },
);

t("client addresses come from nginx, not from a header the client forged", async ({ base, db }) => {
  const c = networkClient(base, { "x-forwarded-for": "6.6.6.6" });
  const { res } = await c.signIn("alice", PASSWORD);
  assert.is(res.status, 303);
  const { rows } = await db.query<{ a: string }>(
    "SELECT client_address AS a FROM sessions ORDER BY created_at DESC LIMIT 1",
  );
  assert.is(rows[0]!.a, "127.0.0.1");
});

t(
  "a designer's change saved on one instance is served by the other within the version cache's lifetime",
  async (ctx) => {
    const [a, b] = ctx.instances as [Instance, Instance];
    const designer = networkClient(ctx.base);
    assert.is((await designer.signIn("dora", PASSWORD)).res.status, 303);
    const onA = sameBrowser(designer, a.url);
    const onB = sameBrowser(designer, b.url);
    const list = "/apps/equipment-inspections";
    // B reads (and caches) the current version before A saves a new one: by the end of this
    // request B's cache entry exists, so it is older than VERSION_TTL_MS from then on.
    assert.match((await onB.get(list)).html, /<h1>Equipment inspections<\/h1>/);
    const cachedBy = performance.now();
    const site = await ctx.services.sites.publicSite();
    const definition = structuredClone((await ctx.services.apps.get(site.id, "equipment-inspections"))!.definition);
    definition.title = "Equipment inspections, revised";
    const saved = await onA.post("/configure/apps/equipment-inspections", {
      definition: JSON.stringify(definition),
      _version: "0",
    });
    assert.is(saved.res.status, 303, saved.html.slice(0, 500));
    const savedAt = performance.now();
    const revised = /<h1>Equipment inspections, revised<\/h1>/;
    assert.match((await onA.get(list)).html, revised, "A serves it at once");
    // Ask B until it serves the new version. A request B receives once its cache entry is older
    // than VERSION_TTL_MS (the two seconds docs/operations.md promises) must not get the old one.
    let seenAfter = -1;
    while (performance.now() - cachedBy < VERSION_TTL_MS + 30_000) {
      const asked = performance.now();
      if (revised.test((await onB.get(list)).html)) {
        seenAfter = asked - savedAt;
        break;
      }
      assert.ok(
        asked - cachedBy < VERSION_TTL_MS,
        `B served the old version to a request sent ${Math.round(asked - cachedBy)} ms after it cached it`,
      );
      await new Promise((r) => setTimeout(r, 100));
    }
    console.log(
      `  instance B served the new version to a request sent ${Math.round(seenAfter)} ms after the save on A`,
    );
    assert.ok(seenAfter >= 0, "B never served the new version");
  },
);

if (!existsSync(NGINX)) skipSuite("nginx not installed (apt-get install nginx)");
else if (!process.env.TEST_DATABASE_URL) {
  skipSuite("two server processes share one PostgreSQL database: set TEST_DATABASE_URL (see README, Test it)");
} else t.run();
