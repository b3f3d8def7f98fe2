// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { AppDefinition } from "../../engine/schema/types.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const PASSWORD = "correct horse battery";
const USERS = "/configure/users";

interface Ctx {
  env: TestEnv;
  admin: TestClient;
  designer: TestClient;
  north: TestClient;
  publicSite: string;
  northSite: string;
  adminId: string;
}

const t = suite<Ctx>(`user accounts app [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.publicSite = (await s.sites.publicSite()).id;
  ctx.northSite = (await s.sites.create("north", "North")).id;
  ctx.adminId = (
    await s.users.create({ siteId: ctx.publicSite, username: "alice", password: PASSWORD, role: "admin" })
  ).id;
  await s.users.create({ siteId: ctx.publicSite, username: "dora", password: PASSWORD, role: "designer" });
  await s.users.create({ siteId: ctx.northSite, username: "nina", password: PASSWORD, role: "admin" });
  for (const [key, name] of [
    ["admin", "alice"],
    ["designer", "dora"],
    ["north", "nina"],
  ] as const) {
    ctx[key] = new TestClient(ctx.env.app);
    assert.is((await ctx[key].signIn(name, PASSWORD)).res.status, 303);
  }
});
t.after(async (ctx) => ctx.env.close());

const slot = (html: string, path: string) =>
  html.match(new RegExp(`id="err-${path}" aria-live="polite">([^<]*)<`))?.[1] ?? null;

const newUser = (username: string, extra: Record<string, string> = {}) => ({
  username,
  displayName: `${username} Example`,
  email: `${username}@example.org`,
  password: "a long enough password",
  role: "user",
  webAccess: "true",
  ...extra,
});

async function idOf(env: TestEnv, username: string): Promise<string> {
  return (await env.services.users.byUsername(username))!.id;
}

async function versionOf(env: TestEnv, id: string): Promise<string> {
  const { rows } = await env.db.query<{ version: number }>("SELECT version FROM users WHERE id = $1", [id]);
  return String(rows[0]!.version);
}

t(
  "the list shows the site's users with their MFA status, and is the User Account Management app",
  async ({ admin }) => {
    const r = await admin.get(USERS);
    assert.is(r.res.status, 200);
    assert.match(r.html, /<h1>User accounts<\/h1>/);
    assert.match(
      r.html,
      /<th scope="col"><a href="\/configure\/users\?sort=mfaStatus"[^>]*>MFA status<\/a><\/th>/,
      "a column that sorts by state",
    );
    assert.match(
      r.html,
      /<th scope="row"><a href="\/configure\/users\/[0-9a-f-]{36}"[^>]*>alice<\/a><\/th><td>alice<\/td><td>—<\/td><td>Administrator<\/td><td><span class="badges"><span class="badge" title="Off">Off<\/span><\/span><\/td>/,
    );
    assert.match(r.html, /href="\/configure\/users\/new"[^>]*>Add user<\/a>/);
    assert.not.match(r.html, />nina</, "nothing of another site");
  },
);

t(
  "Add User: a new form has the MFA slider off and the delay hidden; the user is created and can sign in",
  async ({ env, admin }) => {
    const form = await admin.get(`${USERS}/new`);
    assert.match(form.html, /<h1>Add user<\/h1>/);
    assert.match(form.html, /<input name="mfaEnabled"[^>]*role="switch" value="true"\/>/, "off by default");
    // In the form for a browser without JavaScript (the delay arrives in the same save); hidden with it.
    assert.match(form.html, /<div class="when-hidden field" id="field-mfaEnforcementDelayDays"/);
    assert.match(
      form.html,
      /id="field-mfaStatus"[\s\S]*?<output[^>]*>—<\/output>/,
      "the status message sits under the switch",
    );
    assert.ok(form.html.indexOf('id="field-mfaEnabled"') < form.html.indexOf('id="field-mfaStatus"'));
    const created = await admin.post(`${USERS}/new`, newUser("bob", { deviceAccess: "true" }));
    assert.is(created.res.status, 303);
    assert.is(created.res.headers.get("location"), USERS);
    const bob = (await env.services.users.byUsername("bob"))!;
    assert.equal(
      {
        site: bob.siteId,
        name: bob.displayName,
        email: bob.email,
        role: bob.role,
        web: bob.webAccess,
        device: bob.deviceAccess,
      },
      {
        site: (await env.services.sites.publicSite()).id,
        name: "bob Example",
        email: "bob@example.org",
        role: "user",
        web: true,
        device: true,
      },
    );
    assert.match(bob.passwordHash ?? "", /^\$argon2id\$/);
    assert.is((await new TestClient(env.app).signIn("bob", "a long enough password")).res.status, 303);
    const { rows } = await env.db.query<{ action: string }>("SELECT action FROM audit_log WHERE target_user_id = $1", [
      bob.id,
    ]);
    assert.ok(rows.some((r) => r.action === "user.create"));
  },
);

t("bad input is refused per field and changes nothing", async ({ env, admin }) => {
  const short = await admin.post(`${USERS}/new`, newUser("carol", { password: "short" }));
  assert.is(short.res.status, 422);
  assert.is(slot(short.html, "password"), "Password must be at least 12 characters.");
  assert.not.match(short.html, /value="short"/, "a password is never echoed");
  const taken = await admin.post(`${USERS}/new`, newUser("ALICE"));
  assert.is(taken.res.status, 422);
  assert.is(slot(taken.html, "username"), "Username is already taken.");
  const bad = await admin.post(`${USERS}/new`, newUser("carol smith", { role: "root", email: "nope" }));
  assert.is(
    slot(bad.html, "username"),
    "Username does not have the expected format: 1 to 64 letters, digits, dots, underscores, at signs and dashes.",
  );
  assert.is(slot(bad.html, "role"), "Role must be one of the options.");
  assert.is(slot(bad.html, "email"), "Email must be an email address.");
  const missing = await admin.post(`${USERS}/new`, { username: "carol" });
  assert.is(slot(missing.html, "password"), "Password is required.");
  const unknown = await admin.post(`${USERS}/new`, newUser("carol", { passwordHash: "x" }));
  assert.is(unknown.res.status, 422);
  assert.is(await env.services.users.byUsername("carol"), null);
});

t(
  "the MFA slider: the delay shows when it is on, and saving calls the MFA service with the status under the switch",
  async ({ env, admin }) => {
    await admin.post(`${USERS}/new`, newUser("dave"));
    const id = await idOf(env, "dave");
    // Turning the slider on re-renders the delay field (htmx), with its default.
    const check = await admin.post(
      `${USERS}/${id}/check`,
      { ...newUser("dave"), _field: "mfaEnabled", mfaEnabled: "true" },
      { "hx-request": "true" },
    );
    assert.match(
      check.html,
      /<hx-partial hx-target="#field-mfaEnforcementDelayDays" hx-swap="outerHTML"><div class="field" id="field-mfaEnforcementDelayDays" data-widget="number">/,
    );
    assert.match(check.html, /name="mfaEnforcementDelayDays"[^>]*value="0"/);
    const negative = await admin.post(`${USERS}/${id}`, {
      ...newUser("dave", { password: "" }),
      _version: await versionOf(env, id),
      mfaEnabled: "true",
      mfaEnforcementDelayDays: "-1",
    });
    assert.is(negative.res.status, 422);
    assert.is(slot(negative.html, "mfaEnforcementDelayDays"), "Enforcement delay (days) must be at least 0.");
    // Too many digits to read as a number: the bound it passes; not whole: the allowed range.
    const expected: Record<string, string> = {
      "99999999999999999999": "Enforcement delay (days) must be at most 3650.",
      "-99999999999999999999": "Enforcement delay (days) must be at least 0.",
      "1e400": "Enforcement delay (days) must be a whole number from 0 to 3650.",
      "3.5": "Enforcement delay (days) must be a whole number from 0 to 3650.",
    };
    for (const [huge, message] of Object.entries(expected)) {
      const tooLarge = await admin.post(`${USERS}/${id}`, {
        ...newUser("dave", { password: "" }),
        _version: await versionOf(env, id),
        mfaEnabled: "true",
        mfaEnforcementDelayDays: huge,
      });
      assert.is(tooLarge.res.status, 422, huge);
      assert.is(slot(tooLarge.html, "mfaEnforcementDelayDays"), message, huge);
    }
    const on = await admin.post(`${USERS}/${id}`, {
      ...newUser("dave", { password: "" }),
      _version: await versionOf(env, id),
      mfaEnabled: "true",
      mfaEnforcementDelayDays: "3",
    });
    assert.is(on.res.status, 303);
    const status = await env.services.mfa.statusOf(id);
    assert.equal([status.enabled, status.enforcementDelayDays, status.state], [true, 3, "pending"]);
    const page = await admin.get(`${USERS}/${id}`);
    assert.match(
      page.html,
      /<output id="f-mfaStatus"[^>]*>On — not activated, required from 8 January 2026, \d\d:\d\d \(UTC\)<\/output>/,
    );
    assert.match(page.html, /name="mfaEnforcementDelayDays"[^>]*value="3"/);
    assert.match(
      (await admin.get(USERS)).html,
      /<td(?: title="[^"]*")?><span class="badges"><span class="badge pending" title="Pending — due 8 January 2026, \d\d:\d\d \(UTC\)">Pending — due 8 January 2026<\/span><\/span><\/td>/,
    );
    const off = await admin.post(`${USERS}/${id}`, {
      ...newUser("dave", { password: "" }),
      _version: await versionOf(env, id),
    });
    assert.is(off.res.status, 303);
    assert.match((await env.services.mfa.statusOf(id)).message, /^Off — turned off on 5 January 2026 by alice/);
    const { rows } = await env.db.query<{ action: string }>(
      "SELECT action FROM audit_log WHERE target_user_id = $1 AND action LIKE 'mfa.%' ORDER BY id",
      [id],
    );
    assert.equal(
      rows.map((r) => r.action),
      ["mfa.enable", "mfa.disable"],
    );
  },
);

t(
  "without JavaScript, switching MFA on saves the default delay (0: required at next sign-in)",
  async ({ env, admin }) => {
    await admin.post(`${USERS}/new`, newUser("erin"));
    const id = await idOf(env, "erin");
    const r = await admin.post(`${USERS}/${id}`, {
      ...newUser("erin", { password: "" }),
      _version: await versionOf(env, id),
      mfaEnabled: "true",
    });
    assert.is(r.res.status, 303);
    assert.is((await env.services.mfa.statusOf(id)).message, "On — required at next sign-in");
  },
);

t(
  "the MFA change and the user update are one transaction: a refused update leaves MFA as it was",
  async ({ env, admin }) => {
    await admin.post(`${USERS}/new`, newUser("fred"));
    const id = await idOf(env, "fred");
    const r = await admin.post(`${USERS}/${id}`, {
      ...newUser("alice", { password: "" }),
      _version: await versionOf(env, id),
      mfaEnabled: "true",
      mfaEnforcementDelayDays: "2",
    });
    assert.is(r.res.status, 422);
    assert.is(slot(r.html, "username"), "Username is already taken.");
    assert.is((await env.services.mfa.statusOf(id)).enabled, false);
    assert.is((await env.services.users.byId(id))!.username, "fred");
  },
);

t(
  "a blank password on edit keeps the old one; a new one replaces it and signs the user out",
  async ({ env, admin }) => {
    await admin.post(`${USERS}/new`, newUser("gina"));
    const id = await idOf(env, "gina");
    const gina = new TestClient(env.app);
    assert.is((await gina.signIn("gina", "a long enough password")).res.status, 303);
    const edit = await admin.get(`${USERS}/${id}`);
    assert.match(
      edit.html,
      /<input name="password"[^>]*type="password"[^>]*placeholder="Leave blank to keep it unchanged"\/>/,
    );
    assert.not.match(edit.html, /\$argon2/);
    await admin.post(`${USERS}/${id}`, {
      ...newUser("gina", { password: "", displayName: "Gina" }),
      _version: await versionOf(env, id),
    });
    assert.is((await gina.get("/")).res.status, 200, "still signed in");
    assert.is((await new TestClient(env.app).signIn("gina", "a long enough password")).res.status, 303);
    await admin.post(`${USERS}/${id}`, {
      ...newUser("gina", { password: "another long password" }),
      _version: await versionOf(env, id),
    });
    assert.is((await gina.get("/")).res.status, 303, "signed out by the new password");
    assert.is((await new TestClient(env.app).signIn("gina", "another long password")).res.status, 303);
  },
);

t("saving over a newer version of a user is a 409 that keeps the input", async ({ env, admin }) => {
  await admin.post(`${USERS}/new`, newUser("hank"));
  const id = await idOf(env, "hank");
  await admin.post(`${USERS}/${id}`, { ...newUser("hank", { password: "", displayName: "Hank One" }), _version: "1" });
  const stale = await admin.post(`${USERS}/${id}`, {
    ...newUser("hank", { password: "", displayName: "Hank Two" }),
    _version: "1",
  });
  assert.is(stale.res.status, 409);
  assert.match(stale.html, /<th scope="row">Display name<\/th><td>Hank One<\/td><td>Hank Two<\/td>/);
  assert.match(stale.html, /name="displayName"[^>]*value="Hank Two"/);
  assert.is((await env.services.users.byId(id))!.displayName, "Hank One");
});

t("search, sort and keyset paging over the users of the site", async ({ env, admin, publicSite }) => {
  for (let i = 0; i < 30; i++) {
    await env.db.query(
      `INSERT INTO users (site_id, username, display_name, email, role, created_at, updated_at)
       VALUES ($1, $2, $3, $4, 'user', now(), now())`,
      [publicSite, `member${String(i).padStart(2, "0")}`, `Member ${i}`, i % 2 ? `m${i}@odd.example` : null],
    );
  }
  const names = (html: string) => [...html.matchAll(/<th scope="row"><a [^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
  const p1 = await admin.get(`${USERS}?q=member`);
  assert.equal(
    names(p1.html),
    Array.from({ length: 25 }, (_, i) => `member${String(i).padStart(2, "0")}`),
  );
  // The administrator's users list pages with buttons of the form around it (they carry ticked rows).
  const after = p1.html.match(/<button type="submit" name="after" value="([^"]+)"/)?.[1];
  assert.ok(after);
  const p2 = await admin.get(`${USERS}?q=member&sort=username&after=${encodeURIComponent(after)}`);
  assert.equal(names(p2.html), ["member25", "member26", "member27", "member28", "member29"]);
  const byEmail = await admin.get(`${USERS}?q=odd.example&sort=-email`);
  assert.equal(names(byEmail.html).slice(0, 3), ["member09", "member07", "member05"], "m9@ sorts after m29@");
  const desc = await admin.get(`${USERS}?q=member&sort=-username`);
  assert.is(names(desc.html)[0], "member29");
});

t("a search of more than 100 characters is refused with a 400 and a message; the page still works", async (ctx) => {
  const { admin } = ctx;
  const long = "x".repeat(3000);
  const names = (html: string) => [...html.matchAll(/<th scope="row"><a [^>]*>([^<]+)<\/a>/g)].map((m) => m[1]);
  const page = await admin.get(`${USERS}?q=${long}`);
  assert.is(page.res.status, 400);
  assert.match(
    page.html,
    /<p class="notice error" role="alert" id="search-refused">Search is at most 100 characters\./,
  );
  // The list as it opens, the search box holding what fits, tied to the message; the long text not echoed.
  assert.match(page.html, /<input type="search" name="q" value="x{100}"[^>]*aria-invalid="true"/);
  assert.match(page.html, /aria-describedby="search-refused"/);
  assert.not.match(page.html, /x{101}/);
  assert.ok(names(page.html).includes("alice"), "the list is shown, not searched");
  assert.match(
    page.html,
    /<form method="get" action="\/configure\/users" role="search"/,
    "a plain GET form to search again",
  );
  // The rollout's search refuses the same length with the same words.
  const rollout = await admin.get(`/configure/mfa/rollout?preview=1&q=${"x".repeat(101)}`);
  assert.match(rollout.html, /Search is at most 100 characters\./);
  // 100 characters are a search; the export and the list region (htmx) refuse more with a 400 too.
  assert.is((await admin.get(`${USERS}?q=${"x".repeat(100)}`)).res.status, 200);
  assert.is((await admin.request(`${USERS}/export.csv?q=${long}`)).status, 400);
  const region = await admin.request(`${USERS}?q=${long}`, {
    headers: { "hx-request": "true", "hx-target": "#record-list" },
  });
  assert.is(region.status, 400);
  const fragment = await region.text();
  assert.match(fragment, /^<div id="record-list"/);
  assert.match(fragment, /role="alert" id="search-refused">Search is at most 100 characters\./);
  // "Roll out MFA to all N matching" with such a search goes nowhere: the list again, nothing to preview.
  const bulk = await admin.get(`${USERS}?q=${long}&rollout=matching`);
  assert.is(bulk.res.status, 400);
  assert.is(bulk.res.headers.get("location"), null);
});

t(
  "sites are separate: an admin of another site can neither see nor change this site's users",
  async ({ env, admin, north }) => {
    await admin.post(`${USERS}/new`, newUser("ivan"));
    const id = await idOf(env, "ivan");
    const list = await north.get(`${USERS}?q=ivan`);
    assert.match(list.html, /No records match your search\./);
    assert.is((await north.get(`${USERS}/${id}`)).res.status, 404);
    const edit = await north.post(`${USERS}/${id}`, {
      ...newUser("ivan", { password: "", role: "admin" }),
      _version: "1",
    });
    assert.is(edit.res.status, 404);
    assert.is((await north.post(`${USERS}/${id}/delete`, { _version: "1", confirm: "yes" })).res.status, 404);
    assert.is((await env.services.users.byId(id))!.role, "user");
    // What the north admin creates belongs to North.
    assert.is((await north.post(`${USERS}/new`, newUser("norbert"))).res.status, 303);
    assert.is((await env.services.users.byUsername("norbert"))!.siteId, (await env.services.sites.bySlug("north"))!.id);
    assert.not.match((await admin.get(`${USERS}?q=norbert`)).html, />norbert</);
  },
);

t("only administrators manage users", async ({ env, designer }) => {
  assert.is((await designer.get(USERS)).res.status, 403);
  assert.is((await designer.post(`${USERS}/new`, newUser("mallory", { role: "admin" }))).res.status, 403);
  assert.is(await env.services.users.byUsername("mallory"), null);
  assert.is((await designer.get("/apps/user-accounts")).res.status, 403);
});

t("an administrator cannot lock themselves out", async ({ env, admin, adminId }) => {
  const mine = (fields: Record<string, string>) => ({
    ...newUser("alice", { password: "", role: "admin", email: "" }),
    ...fields,
  });
  const demote = await admin.post(`${USERS}/${adminId}`, {
    ...mine({ role: "user" }),
    _version: await versionOf(env, adminId),
  });
  assert.is(demote.res.status, 422);
  assert.is(slot(demote.html, "role"), "You cannot take away your own administrator role.");
  const disable = await admin.post(`${USERS}/${adminId}`, {
    ...mine({ disabled: "true" }),
    _version: await versionOf(env, adminId),
  });
  assert.is(slot(disable.html, "disabled"), "You cannot disable your own account.");
  const del = await admin.post(`${USERS}/${adminId}/delete`, {
    _version: await versionOf(env, adminId),
    confirm: "yes",
  });
  assert.is(del.res.status, 409);
  assert.is((await env.services.users.byId(adminId))!.role, "admin");
});

t("deleting a user removes the account and records it", async ({ env, admin }) => {
  await admin.post(`${USERS}/new`, newUser("judy"));
  const id = await idOf(env, "judy");
  const r = await admin.post(`${USERS}/${id}/delete`, { _version: await versionOf(env, id), confirm: "yes" });
  assert.is(r.res.status, 303);
  assert.is(await env.services.users.byId(id), null);
  const { rows } = await env.db.query<{ details: { username: string } }>(
    "SELECT details FROM audit_log WHERE action = 'user.delete'",
  );
  assert.ok(rows.some((x) => x.details.username === "judy"));
});

t(
  "a designer adds department and phone; they are stored in users.data and searchable",
  async ({ env, designer, admin, publicSite }) => {
    const current = (await env.services.apps.get(publicSite, "user-accounts"))!;
    const next = JSON.parse(JSON.stringify(current.definition)) as AppDefinition;
    next.record.properties.department = { type: "string", title: "Department", maxLength: 100 };
    next.record.properties.phone = { type: "string", title: "Phone", pattern: "^[0-9 +()-]{5,20}$" };
    next.form!.sections![0]!.fields.push("department", "phone");
    next.list!.columns.push("department");
    next.list!.searchable!.push("department");
    const saved = await designer.post("/configure/apps/user-accounts", {
      _version: String(current.version),
      definition: JSON.stringify(next),
    });
    assert.is(saved.res.status, 303);
    const form = await admin.get(`${USERS}/new`);
    assert.match(form.html, /name="department"/);
    assert.match(form.html, /name="phone"/);
    const created = await admin.post(`${USERS}/new`, newUser("kate", { department: "Finance", phone: "+41 44 000" }));
    assert.is(created.res.status, 303);
    const { rows } = await env.db.query<{ data: Record<string, unknown> }>(
      "SELECT data FROM users WHERE username = 'kate'",
    );
    assert.equal(rows[0]!.data, { department: "Finance", phone: "+41 44 000" });
    const badPhone = await admin.post(`${USERS}/new`, newUser("liam", { phone: "call me" }));
    assert.is(
      slot(badPhone.html, "phone"),
      "Phone does not have the expected format: 5 to 20 digits, spaces, plus signs, brackets and dashes.",
    );
    const found = await admin.get(`${USERS}?q=finance`);
    assert.match(found.html, />kate<\/a>/);
    assert.match(found.html, /<td>Finance<\/td>/);
    const sorted = await admin.get(`${USERS}?sort=-department`);
    assert.is(sorted.res.status, 200);
    // Removing a system field the accounts need is refused; removing the phone field keeps the stored phone.
    const now = (await env.services.apps.get(publicSite, "user-accounts"))!;
    const noUsername = JSON.parse(JSON.stringify(now.definition)) as AppDefinition;
    delete noUsername.record.properties.username;
    noUsername.record.required = noUsername.record.required!.filter((f) => f !== "username");
    noUsername.form!.sections![0]!.fields = noUsername.form!.sections![0]!.fields.filter((f) => f !== "username");
    noUsername.list!.columns = noUsername.list!.columns.filter((f) => f !== "username") as [string, ...string[]];
    noUsername.list!.searchable = noUsername.list!.searchable!.filter((f) => f !== "username");
    noUsername.list!.sort = "displayName";
    const refused = await designer.post("/configure/apps/user-accounts", {
      _version: String(now.version),
      definition: JSON.stringify(noUsername),
    });
    assert.is(refused.res.status, 422);
    assert.match(refused.html, /must bind user\.username|removes the required system field/);
  },
);

t(
  "a designer's own app that declares the same system fields is bound the same way",
  async ({ env, designer, admin }) => {
    assert.is((await designer.post("/configure/apps/new", { id: "staff", title: "Staff" })).res.status, 303);
    assert.is((await designer.post("/configure/apps/staff/publish", {})).res.status, 303, "published as version 1");
    const staff: AppDefinition = {
      id: "staff",
      title: "Staff",
      record: {
        type: "object",
        required: ["login"],
        properties: {
          login: { type: "string", "x-system": "user.username" },
          fullName: { type: "string", "x-system": "user.displayName" },
          secondFactor: { type: "boolean", "x-system": "mfa.enabled" },
          state: { type: "string", readOnly: true, "x-system": "mfa.status" },
          badge: { type: "string" },
        },
      },
      list: { columns: ["login", "fullName", "state"] },
    };
    // The new app has no records yet, so it may become an app over user accounts; a wrong binding is still refused.
    const wrongType = structuredClone(staff);
    wrongType.record.properties.secondFactor = { type: "string", "x-system": "mfa.enabled" };
    const refused = await designer.post("/configure/apps/staff", {
      _version: "1",
      definition: JSON.stringify(wrongType),
    });
    assert.is(refused.res.status, 422);
    assert.match(refused.html, /mfa\.enabled must be bound to a boolean field/);
    const saved = await designer.post("/configure/apps/staff", { _version: "1", definition: JSON.stringify(staff) });
    assert.is(saved.res.status, 303);
    const list = await admin.get("/apps/staff?q=alice");
    assert.match(
      list.html,
      />alice<\/a><\/th><td>alice<\/td><td><span class="badges"><span class="badge" title="Off">Off<\/span><\/span><\/td>/,
      "the same users, through other field names",
    );
    const created = await admin.post("/apps/staff/new", {
      login: "mona",
      fullName: "Mona",
      secondFactor: "true",
      badge: "B-7",
    });
    assert.is(created.res.status, 303);
    const mona = (await env.services.users.byUsername("mona"))!;
    assert.is(mona.displayName, "Mona");
    assert.is((await env.services.mfa.statusOf(mona.id)).message, "On — required at next sign-in");
    const { rows } = await env.db.query<{ data: Record<string, unknown> }>("SELECT data FROM users WHERE id = $1", [
      mona.id,
    ]);
    assert.equal(rows[0]!.data, { badge: "B-7" });
  },
);

t.run();
