import { randomBytes } from "node:crypto";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createLogger, redact } from "../../engine/log.js";
import { startTestEnv, TestClient } from "../helpers/app.js";
import { appParams, codeAt, keyBytes } from "../helpers/totp.js";
import { api } from "../device/client.js";
import { saveUser } from "../helpers/users.js";

// Log lines never carry a secret (issue 24): values under known names are redacted, and the whole
// log (debug, with the query log) of a first-administrator setup, a sign-in with MFA setup and
// codes on the web and the device API, and a hardware-token import holds none of the secrets used.
const t = suite("log redaction");

t("values under secret names are redacted at any depth; other fields stay", () => {
  const lines: string[] = [];
  const log = createLogger("debug", (l) => lines.push(l)).child({ token: "bound-secret" });
  log.info("x", {
    password: "p1",
    user: { recoveryCode: "r1", name: "ann" },
    list: [{ secret: "s1" }],
    code: "123456",
  });
  log.info("y", { Key: "k1", newPassword: "p2", sessionToken: "t2", status: 200, reason: "ECONNREFUSED" });
  const joined = lines.join("\n");
  for (const secret of ["bound-secret", "p1", "r1", "s1", "123456", "k1", "p2", "t2"]) {
    assert.not.ok(joined.includes(`"${secret}"`), `${secret} was logged: ${joined}`);
  }
  assert.ok(joined.includes('"name":"ann"') && joined.includes('"status":200') && joined.includes("ECONNREFUSED"));
  assert.equal(redact({ a: { token: 1 } }), { a: { token: "[redacted]" } });
});

t("the log of a setup, sign-ins with codes and an import holds none of their secrets", async () => {
  const env = await startTestEnv({}, { queryLog: true });
  try {
    const s = env.services;
    const secrets: string[] = [];
    // First administrator through the one-time link.
    const first = await s.firstAdmin.ensure({});
    assert.is(first.kind, "setup-link");
    const setupToken = (first as { token: string }).token;
    secrets.push(setupToken);
    const password = `pw-${randomBytes(9).toString("hex")}`;
    secrets.push(password);
    const setup = new TestClient(env.app);
    await setup.get(`/setup/${setupToken}`);
    assert.is((await setup.post(`/setup/${setupToken}`, { username: "root", password })).res.status, 303);

    // The administrator signs in, requires MFA for themselves and sets up an authenticator app.
    const admin = await s.users.byUsername("root");
    await s.mfa.settings.applySettings(
      admin!.id,
      { enabled: true, enforcementDelayDays: 0 },
      { id: null, name: "t", siteId: null },
    );
    await saveUser(s, admin!.id, { deviceAccess: true });
    const web = new TestClient(env.app);
    assert.is((await web.signIn("root", password)).res.headers.get("location"), "/mfa/setup");
    const page = await web.get("/mfa/setup/app");
    const key = page.html.match(/id="totp-key">([A-Z2-7 ]+)</)![1]!;
    secrets.push(key.replace(/ /g, ""), keyBytes(key).toString("hex"));
    const p = appParams(keyBytes(key));
    const code1 = codeAt(env.clock, p);
    secrets.push(code1);
    const activated = await web.post("/mfa/setup/app", { code: code1 });
    assert.is(activated.res.status, 200, "the first activation shows the recovery codes");
    const recoveryCodes = [...activated.html.matchAll(/<li><code>([0-9A-Z]{5}-[0-9A-Z]{5})<\/code><\/li>/g)];
    assert.is(recoveryCodes.length, 10);
    for (const [, code] of recoveryCodes) secrets.push(code!, code!.replace("-", ""));
    secrets.push(web.cookies.get("fg_session") ?? [...web.cookies.values()][0]!);
    env.clock.advanceSeconds(60);

    // A device sign-in with a code, and a wrong code on the web.
    const login = await api(env.app, "POST", "/api/device/login", { username: "root", password });
    secrets.push(login.json.challenge);
    const code2 = codeAt(env.clock, p);
    secrets.push(code2);
    const token = await api(env.app, "POST", "/api/device/mfa", { challenge: login.json.challenge, code: code2 });
    assert.is(token.status, 200, JSON.stringify(token.json));
    secrets.push(token.json.token);
    const again = new TestClient(env.app);
    await again.signIn("root", password);
    await again.post("/login/mfa", { code: "918273" });

    // A hardware-token import.
    const tokenSecret = randomBytes(20).toString("hex");
    secrets.push(tokenSecret);
    const full = new TestClient(env.app);
    await full.signIn("root", password);
    env.clock.advanceSeconds(60);
    const code3 = codeAt(env.clock, p);
    await full.post("/login/mfa", { code: code3 });
    await full.get("/configure/mfa-hardware/import");
    const form = new FormData();
    form.set("_csrf", full.csrf);
    const csv = `upn,serial number,secret key,time interval,manufacturer,model\n,RED-1,${tokenSecret},30,Token Works,T1\n`;
    form.set("file", new File([csv], "tokens.csv", { type: "text/csv" }));
    const imported = await full.request("/configure/mfa-hardware/import", { method: "POST", body: form });
    assert.ok(imported.status < 400, `import: ${imported.status}`);

    const log = env.logLines.join("\n");
    assert.ok(env.logLines.length > 50, "there is a log to search");
    for (const secret of secrets) {
      assert.ok(secret && secret.length >= 6, "a secret to look for");
      assert.not.ok(log.includes(secret), `a secret in the log: ${secret.slice(0, 4)}…`);
      assert.not.ok(
        log.toLowerCase().includes(secret.toLowerCase()),
        `a secret in the log (case): ${secret.slice(0, 4)}…`,
      );
    }
  } finally {
    await env.close();
  }
});

t.run();
