// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TEST_ORIGIN, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

// Issue 20, fault 5: the CSRF token was a plain double submit, so a cookie planted from a sibling
// site (same-site) with the matching form field created an administrator. Now the token is signed
// with the server's key over the browser's cookie and the signed-in user, the Origin (or Referer)
// must be this site's, and behind TLS the cookies carry the __Host- prefix.
const PASSWORD = "correct horse battery";
const PLANTED = "p".repeat(43);

interface Ctx {
  env: TestEnv;
  siteId: string;
  admin: TestClient;
}
const t = suite<Ctx>(`CSRF is bound to the browser and the user, and Origin is checked [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  await ctx.env.services.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.env.app);
  assert.is((await ctx.admin.signIn("root", PASSWORD)).res.status, 303);
  await ctx.admin.get("/configure/users/new");
});
t.after(async (ctx) => ctx.env.close());

let n = 0;
/** The Add User form of the probe: it would create an administrator. */
const newAdmin = () => ({
  username: `mallory${++n}`,
  displayName: "Mallory",
  email: "",
  password: "a long enough password",
  role: "admin",
  webAccess: "true",
});

async function userCount(env: TestEnv): Promise<number> {
  const { rows } = await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM users");
  return rows[0]!.n;
}

/** Posts the Add User form as the signed-in administrator's browser with what the attacker controls. */
async function forge(ctx: Ctx, fields: Record<string, string>, headers: Record<string, string>) {
  const before = await userCount(ctx.env);
  const res = await ctx.admin.request("/configure/users/new", {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded", ...headers },
    body: new URLSearchParams(fields),
  });
  assert.is(await userCount(ctx.env), before, "no user was created");
  return res;
}

t("the real form from the real page creates the user (the refusals below are not of everything)", async (ctx) => {
  const before = await userCount(ctx.env);
  const r = await ctx.admin.post("/configure/users/new", newAdmin());
  assert.is(r.res.status, 303, r.html.slice(0, 300));
  assert.is(await userCount(ctx.env), before + 1);
});

t("a planted cookie with the matching field, from a same-site origin, is refused", async (ctx) => {
  const res = await forge(
    ctx,
    { ...newAdmin(), _csrf: PLANTED },
    { cookie: `fg_csrf=${PLANTED}`, "sec-fetch-site": "same-site", origin: TEST_ORIGIN },
  );
  assert.is(res.status, 403);
});

t("the same with the header htmx uses", async (ctx) => {
  const res = await forge(ctx, newAdmin(), {
    cookie: `fg_csrf=${PLANTED}`,
    "x-csrf-token": PLANTED,
    "sec-fetch-site": "same-site",
    origin: TEST_ORIGIN,
  });
  assert.is(res.status, 403);
});

t("a token signed for another user (the attacker's own page) is refused", async (ctx) => {
  const s = ctx.env.services;
  await s.users.create({ siteId: ctx.siteId, username: "eve", password: PASSWORD, role: "user" });
  const eve = new TestClient(ctx.env.app);
  await eve.signIn("eve", PASSWORD);
  await eve.get("/");
  // Eve plants her own cookie in the administrator's browser and posts her own page's token.
  const res = await forge(
    ctx,
    { ...newAdmin(), _csrf: eve.csrf },
    { cookie: `fg_csrf=${eve.cookies.get("fg_csrf")}`, origin: TEST_ORIGIN },
  );
  assert.is(res.status, 403);
});

t("a foreign Origin is refused, even with the right token", async (ctx) => {
  const res = await forge(ctx, { ...newAdmin(), _csrf: ctx.admin.csrf }, { origin: "https://evil.example" });
  assert.is(res.status, 403);
  const nul = await forge(ctx, { ...newAdmin(), _csrf: ctx.admin.csrf }, { origin: "null" });
  assert.is(nul.status, 403);
});

t("a missing Origin is refused; a Referer of this site stands in for it", async (ctx) => {
  const missing = await forge(ctx, { ...newAdmin(), _csrf: ctx.admin.csrf }, { origin: "" });
  assert.is(missing.status, 403);
  const foreignReferer = await forge(
    ctx,
    { ...newAdmin(), _csrf: ctx.admin.csrf },
    { origin: "", referer: "https://evil.example/page" },
  );
  assert.is(foreignReferer.status, 403);
  const res = await ctx.admin.request("/configure/users/new", {
    method: "POST",
    headers: {
      "content-type": "application/x-www-form-urlencoded",
      origin: "",
      referer: `${TEST_ORIGIN}/configure/users/new`,
    },
    body: new URLSearchParams({ ...newAdmin(), _csrf: ctx.admin.csrf }),
  });
  assert.is(res.status, 303);
});

t("with PUBLIC_URL, only its origin is accepted", async () => {
  const env = await startTestEnv({ PUBLIC_URL: "https://forms.example.org" });
  try {
    const c = new TestClient(env.app);
    await c.get("/login");
    const local = await c.post("/login", { username: "x", password: "y" });
    assert.is(local.res.status, 403, "the request's own origin is not PUBLIC_URL's");
    const ok = await c.post("/login", { username: "x", password: "y" }, { origin: "https://forms.example.org" });
    assert.is(ok.res.status, 401, "the password is checked");
  } finally {
    await env.close();
  }
});

t("behind TLS (TRUST_PROXY) the cookies carry the __Host- prefix: Secure, Path=/, no Domain", async () => {
  const env = await startTestEnv({ TRUST_PROXY: true });
  try {
    await env.services.users.create({
      siteId: (await env.services.sites.publicSite()).id,
      username: "tls",
      password: PASSWORD,
    });
    const c = new TestClient(env.app, { "x-forwarded-proto": "https", "x-forwarded-host": "localhost" });
    const page = await c.request("/login");
    const csrfCookie = page.headers.getSetCookie().find((l) => l.startsWith("__Host-fg_csrf="));
    assert.ok(csrfCookie, page.headers.getSetCookie().join(" | "));
    assert.match(csrfCookie, /; Secure/);
    assert.match(csrfCookie, /Path=\//);
    assert.not.match(csrfCookie, /Domain=/i);
    c.csrf = (await page.text()).match(/name="_csrf" value="([^"]+)"/)![1]!;
    const signIn = await c.post("/login", { username: "tls", password: PASSWORD }, { origin: "https://localhost" });
    assert.is(signIn.res.status, 303);
    assert.ok(c.cookies.has("__Host-fg_session"));
    // A plain-named cookie planted beside it counts for nothing.
    const planted = await c.request("/logout", {
      method: "POST",
      headers: {
        "content-type": "application/x-www-form-urlencoded",
        cookie: `fg_csrf=${PLANTED}`,
        origin: "https://localhost",
      },
      body: new URLSearchParams({ _csrf: PLANTED }),
    });
    assert.is(planted.status, 403);
  } finally {
    await env.close();
  }
});

t.run();
