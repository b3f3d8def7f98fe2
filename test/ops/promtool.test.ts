import { spawnSync } from "node:child_process";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient } from "../helpers/app.js";
import { skipSuite } from "../helpers/skip.js";

// The exposition of /metrics after some traffic passes `promtool check metrics` (Debian's
// prometheus package; .ci/run installs it, see test/ops/.needs-promtool).
const TOKEN = "promtool-token-0123456789abcdef";
const t = suite("metrics exposition passes promtool check metrics");

t("promtool finds no problem in a scrape", async () => {
  const env = await startTestEnv({ METRICS_TOKEN: TOKEN });
  try {
    const site = await env.services.sites.publicSite();
    await env.services.users.create({ siteId: site.id, username: "pat", password: "correct horse battery" });
    await new TestClient(env.app).signIn("pat", "correct horse battery");
    await new TestClient(env.app).signIn("pat", "wrong horse battery");
    await env.app.request("/no-such-page");
    const res = await env.app.request("/metrics", { headers: { authorization: `Bearer ${TOKEN}` } });
    const text = await res.text();
    assert.match(text, /formgate_http_requests_total\{/);
    const check = spawnSync("promtool", ["check", "metrics"], { input: text, encoding: "utf8" });
    assert.is(check.status, 0, `promtool: ${check.stdout}${check.stderr}`);
    assert.is(check.stdout.trim() + check.stderr.trim(), "", "no lint warnings");
  } finally {
    await env.close();
  }
});

if (spawnSync("promtool", ["--version"]).status === 0) t.run();
else skipSuite("promtool is not installed (apt-get install prometheus)");
