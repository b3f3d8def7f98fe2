// @storage
// Issue 20, fault 12 and the BOM of fault 15: audit entries keep the usernames as they were, so a
// deleted user's entries are still found by ?user=NAME and named in the CSV; the CSV starts with a
// UTF-8 byte order mark like the other exports.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { saveUser } from "../helpers/users.js";

const PASSWORD = "correct horse battery";
const t = suite<{ env: TestEnv; admin: TestClient; siteId: string }>(`audit names and CSV [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: ctx.siteId, username: "Root", password: PASSWORD, role: "admin" });
  ctx.admin = new TestClient(ctx.env.app);
  await ctx.admin.signIn("root", PASSWORD);
});
t.after(async (ctx) => ctx.env.close());

/** The CSV as bytes and as lines (the BOM kept: Response.text() would drop it). */
async function csv(c: TestClient, query: string): Promise<{ bytes: Buffer; lines: string[] }> {
  const res = await c.request(`/configure/audit/export.csv${query}`);
  assert.is(res.status, 200);
  const bytes = Buffer.from(await res.arrayBuffer());
  return { bytes, lines: bytes.toString("utf8").trimEnd().split("\r\n") };
}

t(
  "a deleted user's entries, their deletion among them, are found by name in any case and in the CSV",
  async ({ env, admin, siteId }) => {
    const s = env.services;
    const u = await s.users.create({ siteId, username: "Tobias.K", password: PASSWORD, displayName: "Tobias" });
    await s.mfa.settings.applySettings(
      u.id,
      { enabled: true, enforcementDelayDays: 3 },
      { id: null, name: "cli", siteId: null },
    );
    env.clock.advanceSeconds(1);
    const version = (await env.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [u.id]))
      .rows[0]!;
    await admin.get(`/configure/users/${u.id}`);
    const del = await admin.post(`/configure/users/${u.id}/delete`, {
      _version: String(version.version),
      confirm: "yes",
    });
    assert.is(del.res.status, 303);
    assert.is(await s.users.byId(u.id), null);

    const page = await admin.get("/configure/audit?user=tobias.k");
    const lines = [...page.html.matchAll(/<span class="audit-line">([^<]*)<\/span>/g)]
      .map((m) => m[1])
      .filter((l) => !/ signed in with the /.test(l!));
    assert.is(lines.length, 2, "the deletion and the entry before it");
    assert.is(lines[0], "Root deleted user Tobias.K");
    assert.match(lines[1]!, /^cli turned MFA on for Tobias\.K \(required from/);
    const { lines: rows } = await csv(admin, "?user=TOBIAS.K&action=user.delete");
    assert.is(rows.length, 2);
    assert.match(rows[1]!, /^[^,]+,Root,user\.delete,Tobias\.K,Root deleted user Tobias\.K,/);
  },
);

t("an actor deleted later keeps their name on what they did", async ({ env, siteId }) => {
  const s = env.services;
  const clerk = await s.users.create({ siteId, username: "clerk7", password: PASSWORD, role: "admin" });
  const target = await s.users.create({ siteId, username: "ada" });
  await saveUser(s, target.id, { displayName: "Ada L." }, { id: clerk.id, name: "clerk7" });
  await env.db.query("DELETE FROM users WHERE id = $1", [clerk.id]);
  const root = new TestClient(env.app);
  await root.signIn("root", PASSWORD);
  const { lines } = await csv(root, "?user=clerk7");
  assert.is(lines.length, 2);
  assert.match(lines[1]!, /,clerk7,user\.update,ada,clerk7 changed ada: displayName,/);
});

t("the audit CSV starts with a UTF-8 BOM, so Zoë stays Zoë in Excel", async ({ env, admin, siteId }) => {
  const s = env.services;
  const u = await s.users.create({ siteId, username: "zoe", displayName: "Zoe" });
  await saveUser(s, u.id, { displayName: "Zoë Çelik" });
  const { bytes, lines } = await csv(admin, "?user=zoe&action=user.update");
  assert.equal([...bytes.subarray(0, 3)], [0xef, 0xbb, 0xbf]);
  assert.is(lines[0], "\uFEFFtime,actor,action,user,entry,changes,surface,address");
  assert.match(lines[1]!, /displayName: Zoe → Zoë Çelik/);
  assert.ok(bytes.includes(Buffer.from([0x5a, 0x6f, 0xc3, 0xab])), "Zoë as UTF-8 bytes");
});

t.run();
