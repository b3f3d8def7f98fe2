import * as assert from "uvu/assert";
import { TestClient, type TestEnv } from "./app.js";
import { SoftAuthenticator } from "./soft-authenticator.js";

/**
 * The WebAuthn options a passkey page hands its script (the `data-options` attribute, HTML-escaped
 * JSON), as the browser's script reads them: the challenge and the user handle among them. Fails the
 * test when the page carries none.
 */
export function optionsIn(html: string): { challenge: string; user: { id: string } } {
  const m = html.match(/data-options="([^"]*)"/);
  assert.ok(m, "the page carries WebAuthn options");
  const json = m[1]!
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
  return JSON.parse(json) as { challenge: string; user: { id: string } };
}

/**
 * Signs `username` in (MFA on, setup pending) and registers a passkey named `name` through
 * /mfa/setup/passkey with a software authenticator for http://localhost:3000; checks the first
 * factor's answer (the recovery codes, shown once, with the way on to the account page). Returns
 * the signed-in client and the authenticator (which can then answer sign-in options).
 */
export async function passkeyThroughSetup(
  env: TestEnv,
  username: string,
  password: string,
  name: string,
): Promise<{ c: TestClient; auth: SoftAuthenticator }> {
  const c = new TestClient(env.app);
  const signIn = await c.signIn(username, password);
  assert.is(signIn.res.headers.get("location"), "/mfa/setup");
  const page = await c.get("/mfa/setup/passkey");
  assert.is(page.res.status, 200);
  const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
  const done = await c.post("/mfa/setup/passkey", {
    name,
    response: JSON.stringify(auth.register(optionsIn(page.html))),
  });
  assert.is(done.res.status, 200, done.html);
  assert.match(done.html, /id="recovery-codes"/);
  assert.match(done.html, /href="\/account" role="button" id="codes-saved"/);
  return { c, auth };
}

/**
 * A signed-in user adds a passkey named `name` from `/mfa/setup/passkey`, confirming with their
 * current password (what `/account`'s "Add a passkey" leads to). Returns the POST's answer
 * unchecked: callers assert the status their case expects.
 */
export async function addPasskeyAsSignedIn(
  c: TestClient,
  name: string,
  currentPassword: string,
): Promise<Awaited<ReturnType<TestClient["post"]>>> {
  const page = await c.get("/mfa/setup/passkey");
  const auth = new SoftAuthenticator("localhost", "http://localhost:3000");
  return c.post("/mfa/setup/passkey", {
    name,
    currentPassword,
    response: JSON.stringify(auth.register(optionsIn(page.html))),
  });
}
