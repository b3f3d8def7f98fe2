// @storage
// Issue 20, fault 11: a new-record form carries a one-time token (_submission); the same form
// posted twice (double click, Back and submit again) creates one record, and the second post
// answers with the record the first created.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const APP = "/apps/equipment-inspections";
const t = suite<{ env: TestEnv; admin: TestClient }>(`one-time new-record forms [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const pub = (await ctx.env.services.sites.publicSite()).id;
  await ctx.env.services.users.create({ siteId: pub, username: "alice", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.env.app);
  await ctx.admin.signIn("alice", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

/** The one-time token of the new-record form at `path`. */
async function formToken(c: TestClient, path: string): Promise<string> {
  const { html } = await c.get(path);
  const token = html.match(/name="_submission" value="([A-Za-z0-9_-]{43})"/)?.[1];
  assert.ok(token, "the new-record form carries a one-time token");
  return token;
}

const count = async (env: TestEnv, serial: string) =>
  (
    await env.db.query<{ n: number }>("SELECT count(*)::int AS n FROM records WHERE data->>'serialNumber' = $1", [
      serial,
    ])
  ).rows[0]!.n;

t("the same form posted three times creates one record; the later posts show it", async ({ env, admin }) => {
  const token = await formToken(admin, `${APP}/new`);
  const fields = { equipment: "Band saw", serialNumber: "BS-7", inspectedOn: "2026-02-03", result: "pass" };
  const first = await admin.post(`${APP}/new`, { ...fields, _submission: token });
  assert.is(first.res.status, 303);
  assert.is(first.res.headers.get("location"), APP);
  const id = (await env.db.query<{ id: string }>("SELECT id FROM records")).rows[0]!.id;
  for (let i = 0; i < 2; i++) {
    const again = await admin.post(`${APP}/new`, { ...fields, _submission: token });
    assert.is(again.res.status, 303);
    assert.is(again.res.headers.get("location"), `${APP}/${id}`, "answers with the first post's record");
    const shown = await admin.get(again.res.headers.get("location")!);
    assert.match(shown.html, /This form was sent already: [^<]*was added then\. Nothing new was added\./);
  }
  assert.is(await count(env, "BS-7"), 1);
  // A form opened anew gets another token and adds another record.
  const other = await formToken(admin, `${APP}/new`);
  assert.is.not(other, token);
  assert.is((await admin.post(`${APP}/new`, { ...fields, _submission: other })).res.status, 303);
  assert.is(await count(env, "BS-7"), 2);
});

t("two posts of one form at once (a double click) create one record", async ({ env, admin }) => {
  const token = await formToken(admin, `${APP}/new`);
  const fields = { equipment: "Lathe", serialNumber: "LT-42", inspectedOn: "2026-02-04", result: "fail" };
  const answers = await Promise.all(
    [0, 1, 2, 3].map(() => admin.post(`${APP}/new`, { ...fields, _submission: token })),
  );
  assert.equal(
    answers.map((a) => a.res.status),
    [303, 303, 303, 303],
  );
  assert.is(await count(env, "LT-42"), 1);
  assert.is(answers.filter((a) => a.res.headers.get("location") === APP).length, 1, "one created it");
});

t("a refused post does not use the token up; a forged token is refused and adds nothing", async ({ env, admin }) => {
  const token = await formToken(admin, `${APP}/new`);
  const bad = await admin.post(`${APP}/new`, { equipment: "Grinder", serialNumber: "bad serial", _submission: token });
  assert.is(bad.res.status, 422);
  assert.match(bad.html, new RegExp(`name="_submission" value="${token}"`), "the form shown again keeps its token");
  const fixed = { equipment: "Grinder", serialNumber: "GR-1", inspectedOn: "2026-02-05", result: "pass" };
  assert.is((await admin.post(`${APP}/new`, { ...fixed, _submission: token })).res.headers.get("location"), APP);
  const forged = await admin.post(`${APP}/new`, { ...fixed, serialNumber: "GR-2", _submission: "x'; DROP" });
  assert.is(forged.res.status, 422);
  assert.match(forged.html, /one-time token is not one this server made/);
  assert.is(await count(env, "GR-2"), 0);
});

t("Add user posted twice adds one user and shows it, not 'username taken'", async ({ env, admin }) => {
  const token = await formToken(admin, "/configure/users/new");
  const user = { username: "henrik", displayName: "Henrik", password: "a long enough password", role: "user" };
  assert.is((await admin.post("/configure/users/new", { ...user, _submission: token })).res.status, 303);
  const again = await admin.post("/configure/users/new", { ...user, _submission: token });
  const henrik = (await env.services.users.byUsername("henrik"))!;
  assert.is(again.res.headers.get("location"), `/configure/users/${henrik.id}`);
});

t.run();
