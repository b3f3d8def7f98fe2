// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

// Issue 20, fault 15 (part): five wrong passwords from anywhere locked the owner out everywhere for
// up to an hour. A browser that signed in with the right password gets a signed device cookie
// (engine/auth/known-clients.ts) and keeps a password lock of its own; clients the account does not
// know share the account's lock, as before.
const PASSWORD = "correct horse battery";

interface Ctx {
  env: TestEnv;
  siteId: string;
}
const t = suite<Ctx>(`a known client keeps its own password budget [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());
t.before.each(({ env }) => env.clock.advanceSeconds(7200));

let n = 0;
async function owner(ctx: Ctx): Promise<{ username: string; known: TestClient }> {
  const username = `owner${++n}`;
  await ctx.env.services.users.create({ siteId: ctx.siteId, username, password: PASSWORD });
  const known = new TestClient(ctx.env.app);
  assert.is((await known.signIn(username, PASSWORD)).res.status, 303);
  assert.ok(known.cookies.get("fg_device"), "a device cookie after the right password");
  assert.is((await known.post("/logout", {})).res.status, 303);
  return { username, known };
}

async function wrongFiveTimes(c: TestClient, username: string) {
  for (let i = 0; i < 5; i++) {
    assert.is((await c.post("/login", { username, password: `wrong ${i}` })).res.status, 401);
  }
}

t("five wrong passwords from elsewhere lock out new clients, not the owner's known browser", async (ctx) => {
  const { username, known } = await owner(ctx);
  const attacker = new TestClient(ctx.env.app);
  await attacker.get("/login");
  await wrongFiveTimes(attacker, username);
  assert.is((await attacker.post("/login", { username, password: PASSWORD })).res.status, 429);
  const stranger = new TestClient(ctx.env.app);
  assert.is((await stranger.signIn(username, PASSWORD)).res.status, 429, "a new client shares the lock");
  assert.is((await known.signIn(username, PASSWORD)).res.status, 303, "the owner's browser still signs in");
});

t("a known client that guesses wrong five times locks only itself", async (ctx) => {
  const { username, known } = await owner(ctx);
  await known.get("/login");
  await wrongFiveTimes(known, username);
  assert.is((await known.post("/login", { username, password: PASSWORD })).res.status, 429);
  const other = new TestClient(ctx.env.app);
  assert.is((await other.signIn(username, PASSWORD)).res.status, 303);
});

t("a device cookie of another account, or a forged one, counts as a new client", async (ctx) => {
  const a = await owner(ctx);
  const b = await owner(ctx);
  // b's browser, signing in as a: its cookie names b, so it shares a's lock with every stranger.
  const attacker = new TestClient(ctx.env.app);
  await attacker.get("/login");
  await wrongFiveTimes(attacker, a.username);
  b.known.cookies.delete("fg_session");
  assert.is((await b.known.signIn(a.username, PASSWORD)).res.status, 429);
  const forged = new TestClient(ctx.env.app);
  const [nonce] = a.known.cookies.get("fg_device")!.split(".");
  forged.cookies.set("fg_device", `${nonce}.${"A".repeat(43)}`);
  assert.is((await forged.signIn(a.username, PASSWORD)).res.status, 429);
  assert.is((await a.known.signIn(a.username, PASSWORD)).res.status, 303);
});

t("formgate mfa unlock lifts the known clients' locks too", async (ctx) => {
  const { username, known } = await owner(ctx);
  await known.get("/login");
  await wrongFiveTimes(known, username);
  const user = (await ctx.env.services.users.byUsername(username))!;
  assert.ok(await ctx.env.services.mfa.settings.unlock(user.id, { id: null, name: "test admin", siteId: null }));
  assert.is((await known.signIn(username, PASSWORD)).res.status, 303);
});

t.run();
