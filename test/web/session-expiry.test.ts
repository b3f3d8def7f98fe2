// @storage
// Issue 25: session expiry keeps the work. A form posted after the session ended is kept
// server-side (10 minutes, single use, no password), the browser goes to sign in (htmx: HX-Redirect,
// a full page, never inside the dialog) and returns to /resume, which offers the post back to the
// same user on the same browser only; `?next=` brings a sign-in back to the page asked for, a safe
// same-origin path only (property-tested).
import { randomBytes } from "node:crypto";
import fc from "fast-check";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { safeNextPath } from "../../engine/web/http/next-path.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import { startTestEnv, TestClient, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { appParams, codeAt } from "../helpers/totp.js";

const PASSWORD = "correct horse battery";
const ADMIN: MfaActor = { id: null, name: "test admin", siteId: null };
const IDLE_OVER = 31 * 60; // seconds: past the 30-minute idle timeout
const t = suite<{ env: TestEnv; siteId: string; targetId: string }>(`session expiry keeps the work [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  await s.users.create({ siteId: ctx.siteId, username: "other.admin", password: PASSWORD, role: "admin" });
  ctx.targetId = (
    await s.users.create({ siteId: ctx.siteId, username: "nora", password: PASSWORD, displayName: "Nora" })
  ).id;
});
t.after(async (ctx) => ctx.env.close());

/** The user form's fields as the edit page renders them (text inputs and selected options), for a save. */
function formOf(html: string): Record<string, string> {
  const start = html.indexOf('id="record-form"');
  const form = html.slice(start, html.indexOf("</form>", start));
  const out: Record<string, string> = {};
  for (const m of form.matchAll(/<input([^>]*)>/g)) {
    const name = /name="([^"]+)"/.exec(m[1]!)?.[1];
    const type = /type="([^"]+)"/.exec(m[1]!)?.[1] ?? "text";
    if (!name || name === "_csrf" || type === "password") continue;
    if ((type === "checkbox" || type === "radio") && !/\schecked/.test(m[1]!)) continue;
    out[name] = /value="([^"]*)"/.exec(m[1]!)?.[1] ?? "on";
  }
  for (const m of form.matchAll(/<select[^>]*name="([^"]+)"[^>]*>([\s\S]*?)<\/select>/g)) {
    const selected =
      /<option[^>]*value="([^"]*)"[^>]*selected/.exec(m[2]!) ?? /<option[^>]*value="([^"]*)"/.exec(m[2]!);
    if (selected) out[m[1]!] = selected[1]!;
  }
  return out;
}

async function displayNameOf(env: TestEnv, id: string): Promise<string> {
  return (await env.services.users.byId(id))!.displayName;
}

t("safeNextPath: only same-origin paths, property-tested", () => {
  for (const bad of [
    "//evil.example",
    "/\\evil.example",
    "\\\\evil",
    "https://evil.example/",
    "javascript:alert(1)",
    "/\tevil",
    "/a\nb",
    "/%0a",
    "evil",
    "",
    "/login",
    "/logout",
    "/ok/../..//evil",
    `/${"a".repeat(600)}`,
  ]) {
    const got = safeNextPath(bad);
    assert.ok(got === null || got === "/%0a", `${JSON.stringify(bad)} refused (got ${String(got)})`);
  }
  assert.is(safeNextPath("/configure/users?q=nora&mfa=off"), "/configure/users?q=nora&mfa=off");
  assert.is(safeNextPath("/resume"), "/resume");
  const base = "https://formgate.example";
  fc.assert(
    fc.property(
      fc.oneof(
        fc.string({ maxLength: 40 }),
        fc.string({ maxLength: 40 }).map((x) => `/${x}`),
        fc.string({ maxLength: 40 }).map((x) => `//${x}`),
        fc.string({ maxLength: 40 }).map((x) => `/\\${x}`),
        fc.webUrl(),
        fc.webPath(),
      ),
      (raw) => {
        const got = safeNextPath(raw);
        if (got === null) return true;
        // Whatever is accepted is the input unchanged, a path on this origin, with no control character.
        const url = new URL(got, base);
        return (
          got === raw &&
          url.origin === base &&
          got.startsWith("/") &&
          !got.startsWith("//") &&
          !got.includes("\\") &&
          // eslint-disable-next-line no-control-regex -- control characters are what is looked for
          !/[\x00-\x20\x7f]/.test(got)
        );
      },
    ),
    { numRuns: 2000, seed: 25 },
  );
});

t(
  "a page asked for without a session is where the sign-in returns, through the MFA step too",
  async ({ env, siteId }) => {
    const anon = new TestClient(env.app);
    const asked = await anon.get("/configure/users?q=nora");
    assert.is(asked.res.status, 303);
    assert.is(asked.res.headers.get("location"), "/login?next=%2Fconfigure%2Fusers%3Fq%3Dnora");
    const login = await anon.get(asked.res.headers.get("location")!);
    assert.match(login.html, /<input type="hidden" name="next" value="\/configure\/users\?q=nora"/);
    const done = await anon.post("/login", { username: "root", password: PASSWORD, next: "/configure/users?q=nora" });
    assert.is(done.res.headers.get("location"), "/configure/users?q=nora");
    // An unsafe next is ignored: the start page.
    const evil = new TestClient(env.app);
    await evil.get("/login");
    assert.is(
      (await evil.post("/login", { username: "root", password: PASSWORD, next: "//evil.example/" })).res.headers.get(
        "location",
      ),
      "/",
    );
    // With MFA the place waits in a cookie through the code step.
    const s = env.services;
    const m = await s.users.create({ siteId, username: "mfa.admin", password: PASSWORD, role: "admin" });
    await s.mfa.settings.applySettings(m.id, { enabled: true, enforcementDelayDays: 0 }, ADMIN);
    const p = appParams(randomBytes(20));
    await s.mfa.activation.activate(m.id, { method: "app", ...p }, codeAt(env.clock, p), ADMIN);
    env.clock.advanceSeconds(60);
    const c = new TestClient(env.app);
    await c.get("/login?next=%2Fconfigure%2Faudit");
    const first = await c.post("/login", { username: "mfa.admin", password: PASSWORD, next: "/configure/audit" });
    assert.is(first.res.headers.get("location"), "/login/mfa");
    await c.get("/login/mfa");
    const code = await c.post("/login/mfa", { code: codeAt(env.clock, p) });
    assert.is(code.res.headers.get("location"), "/configure/audit");
  },
);

for (const htmx of [false, true]) {
  t(
    `an expired session during a user save ${htmx ? "in the dialog (htmx)" : "without JavaScript"} ends with the change saved`,
    async ({ env, targetId }) => {
      const admin = new TestClient(env.app);
      await admin.signIn("root", PASSWORD);
      const edit = await admin.get(`/configure/users/${targetId}`);
      const fields = formOf(edit.html);
      assert.ok(fields._version, "the form carries its version");
      const name = `Nora ${htmx ? "Dialog" : "Plain"}`;
      const before = await displayNameOf(env, targetId);
      env.clock.advanceSeconds(IDLE_OVER);
      const headers: Record<string, string> = htmx
        ? { "hx-request": "true", "hx-target": "#record-dialog-body", "x-csrf-token": admin.csrf }
        : {};
      const post = await admin.post(
        `/configure/users/${targetId}`,
        { ...fields, displayName: name, ...(htmx ? { _dialog: "1" } : {}) },
        headers,
      );
      if (htmx) {
        assert.is(post.res.status, 200);
        assert.is(post.res.headers.get("hx-redirect"), "/login?next=%2Fresume");
        assert.is(post.html, "", "nothing is swapped into the dialog");
      } else {
        assert.is(post.res.status, 303);
        assert.is(post.res.headers.get("location"), "/login?next=%2Fresume");
      }
      assert.is(await displayNameOf(env, targetId), before, "nothing saved yet");
      const login = await admin.get("/login?next=%2Fresume");
      assert.match(login.html, /Your session ended before this was saved/);
      const signed = await admin.post("/login", { username: "root", password: PASSWORD, next: "/resume" });
      assert.is(signed.res.headers.get("location"), "/resume");
      const resume = await admin.get("/resume");
      assert.is(resume.res.status, 200);
      assert.match(
        resume.html,
        new RegExp(`<form method="post" action="/configure/users/${targetId}" id="resume-form">`),
      );
      assert.match(resume.html, new RegExp(`name="displayName" value="${name}"`));
      assert.not.match(resume.html, /name="_dialog"/);
      const formAction = /id="resume-form">([\s\S]*?)<\/form>/.exec(resume.html)![1]!;
      const again: Record<string, string[]> = {};
      for (const m of formAction.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)"/g)) {
        if (m[1] !== "_csrf") (again[m[1]!] ??= []).push(m[2]!.replace(/&amp;/g, "&").replace(/&quot;/g, '"'));
      }
      const saved = await admin.post(`/configure/users/${targetId}`, again);
      assert.is(saved.res.status, 303, saved.html.slice(0, 300));
      assert.is(await displayNameOf(env, targetId), name);
      // Single use: the kept post is gone.
      const twice = await admin.get("/resume");
      assert.is(twice.res.status, 303);
    },
  );
}

t("a field check posted after the session ended is not kept: the Save beside it is", async ({ env, targetId }) => {
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  const fields = formOf((await admin.get(`/configure/users/${targetId}`)).html);
  env.clock.advanceSeconds(IDLE_OVER);
  const htmx = { "hx-request": "true", "x-csrf-token": admin.csrf };
  const check = await admin.post(`/configure/users/${targetId}/check`, { ...fields, _field: "displayName" }, htmx);
  assert.is(check.res.status, 204, "the check answers nothing");
  const save = await admin.post(
    `/configure/users/${targetId}`,
    { ...fields, displayName: "Nora Checked", password: "" },
    htmx,
  );
  assert.is(save.res.headers.get("hx-redirect"), "/login?next=%2Fresume");
  await admin.post("/login", { username: "root", password: PASSWORD, next: "/resume" });
  const resume = await admin.get("/resume");
  assert.match(resume.html, new RegExp(`action="/configure/users/${targetId}" id="resume-form"`));
  assert.match(resume.html, /name="displayName" value="Nora Checked"/);
  assert.not.match(resume.html, /for safety/, "a blank password field is not named as left out");
});

t(
  "signed out elsewhere (no session cookie): an htmx save opens the sign-in as a full page, nothing swapped into the dialog",
  async ({ env, targetId }) => {
    const admin = new TestClient(env.app);
    await admin.signIn("root", PASSWORD);
    const fields = formOf((await admin.get(`/configure/users/${targetId}`)).html);
    const token = admin.csrf;
    const before = await displayNameOf(env, targetId);
    admin.cookies.delete("fg_session");
    const save = await admin.post(
      `/configure/users/${targetId}`,
      { ...fields, displayName: "Nora Elsewhere" },
      { "hx-request": "true", "x-csrf-token": token, "hx-current-url": `http://localhost/configure/users/${targetId}` },
    );
    assert.is(save.res.status, 403, "still refused: htmx follows HX-Redirect whatever the status");
    assert.match(save.res.headers.get("hx-redirect") ?? "", /^\/login/);
    assert.is(save.html, "", "nothing is swapped into the dialog");
    assert.is(await displayNameOf(env, targetId), before, "nothing saved");
    // Without htmx the refusal stays a 403 page of its own (a whole page, not a fragment).
    const plain = await admin.post(`/configure/users/${targetId}`, { ...fields }, { "x-csrf-token": token });
    assert.is(plain.res.status, 403);
  },
);

t("a kept post is offered back only to the user who made it", async ({ env, targetId }) => {
  const admin = new TestClient(env.app);
  await admin.signIn("root", PASSWORD);
  const fields = formOf((await admin.get(`/configure/users/${targetId}`)).html);
  env.clock.advanceSeconds(IDLE_OVER);
  const post = await admin.post(`/configure/users/${targetId}`, { ...fields, displayName: "Not yours" });
  assert.is(post.res.headers.get("location"), "/login?next=%2Fresume");
  // Someone else signs in on this browser: the kept form is discarded, not shown.
  await admin.get("/login");
  await admin.post("/login", { username: "other.admin", password: PASSWORD, next: "/resume" });
  const resume = await admin.get("/resume");
  assert.is(resume.res.status, 303);
  assert.is(resume.res.headers.get("location"), "/");
  assert.not.match((await admin.get("/")).html, /Not yours/);
  assert.ok((await displayNameOf(env, targetId)) !== "Not yours");
});

t.run();
