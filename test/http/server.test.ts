// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const t = suite<{ env: TestEnv }>(`server [${testBackend}]`);
t.before(async (ctx) => {
  ctx.env = await startTestEnv();
});
t.after(async (ctx) => ctx.env.close());

t("GET /healthz reports the database", async ({ env }) => {
  const res = await env.app.request("/healthz");
  assert.is(res.status, 200);
  assert.equal(await res.json(), { status: "ok", database: testBackend });
});

t("request logs are structured, carry a request id and never the query string", async ({ env }) => {
  env.logLines.length = 0;
  const res = await env.app.request("/login?secret=hunter2", { headers: { "x-request-id": "req-42" } });
  assert.is(res.headers.get("x-request-id"), "req-42");
  const entries = env.logLines.map((l) => JSON.parse(l));
  const req = entries.find((e) => e.msg === "request");
  assert.ok(req);
  assert.is(req.requestId, "req-42");
  assert.is(req.route, "/login");
  assert.is(req.status, 200);
  assert.type(req.ms, "number");
  assert.not.ok(env.logLines.join("\n").includes("hunter2"));
});

t(
  "an incoming request id with odd characters is replaced, never echoed into the log or the answer",
  async ({ env }) => {
    for (const odd of ['evil" "admin', "x<script>", "a\tb", "id with spaces", "x".repeat(65), "ü-id"]) {
      env.logLines.length = 0;
      const res = await env.app.request("/healthz", { headers: { "x-request-id": odd } });
      const given = res.headers.get("x-request-id") ?? "";
      assert.match(given, /^[0-9a-f-]{36}$/, `a fresh UUID instead of ${JSON.stringify(odd)}`);
      const req = env.logLines.map((l) => JSON.parse(l)).find((e) => e.msg === "request");
      assert.is(req?.requestId, given);
      assert.not.ok(env.logLines.join("\n").includes(odd), JSON.stringify(odd));
    }
  },
);

t("unknown pages are a 404 page; static assets are served", async ({ env }) => {
  const res = await env.app.request("/no/such/page");
  assert.is(res.status, 404);
  assert.match(await res.text(), /There is nothing at this address/);
  const htmx = await env.app.request("/assets/htmx.min.js");
  assert.is(htmx.status, 200);
  assert.match(htmx.headers.get("content-type") ?? "", /javascript/);
  const css = await env.app.request("/public/app.css");
  assert.is(css.status, 200);
  assert.is((await env.app.request("/public/..%2Fpackage.json")).status, 404);
});

t("oversized bodies are refused with 413", async ({ env }) => {
  const c = new TestClient(env.app);
  await c.get("/login");
  const r = await c.post("/login", { username: "x", password: "y".repeat(2 * 1024 * 1024) });
  assert.is(r.res.status, 413);
});

t.run();
