import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { Browser, Page } from "playwright-core";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import type { TestEnv } from "../helpers/app.js";
import { browserTestEnv, closeBrowserStage, hasChromium, openBrowser } from "../helpers/browser.js";
import { activatedUser, check, flashText, PASSWORD, shot, signIn } from "../helpers/console.js";
import { codeAt } from "../helpers/totp.js";
import { skipSuite } from "../helpers/skip.js";
import { base32For } from "../hardware/fixtures.js";

// The console's MFA resets in Chromium: the user dialog's live warning (htmx) before Save, and
// Unassign on a hardware token, each asking first; only Confirm resets. Every page visited is
// checked with axe-core and at 390 px; the unassign confirmation and the import preview are
// photographed for docs/admin-guide.md (into docs/screenshots/ with SCREENSHOTS=update).

interface Ctx {
  env: TestEnv;
  browser: Browser;
  url: string;
  admin: MfaActor;
  siteId: string;
  stop(): Promise<void>;
}
const t = suite<Ctx>("browser: MFA resets in the console ask first");

t.before(async (ctx) => {
  ctx.env = await browserTestEnv();
  const s = ctx.env.services;
  ctx.siteId = (await s.sites.publicSite()).id;
  const root = await s.users.create({ siteId: ctx.siteId, username: "root", password: PASSWORD, role: "admin" });
  ctx.admin = { id: root.id, name: "root", siteId: ctx.siteId };
  await openBrowser(ctx);
});
t.after(closeBrowserStage);

async function adminPage(ctx: Ctx, js: boolean): Promise<Page> {
  const context = await ctx.browser.newContext({ javaScriptEnabled: js });
  const page = await context.newPage();
  await page.setViewportSize({ width: 1100, height: 900 });
  await signIn(page, ctx.url, "root");
  await page.waitForURL(`${ctx.url}/`);
  return page;
}

for (const js of [true, false]) {
  const mode = js ? "JavaScript on" : "JavaScript off";
  t(
    `${mode}: switching MFA off in the dialog warns at once (htmx), switching on clears it; only Confirm resets`,
    async (ctx) => {
      const s = ctx.env.services;
      const lea = await activatedUser(ctx.env, ctx.siteId, ctx.admin, js ? "lea-js" : "lea-nojs");
      await s.sessions.create(lea.id, ctx.siteId, "full", null); // two web sessions
      await s.deviceTokens.issue(lea.id, null); // and one device token
      const page = await adminPage(ctx, js);
      if (js) {
        await page.goto(`${ctx.url}/configure/users?q=${lea.username}`);
        await page.click(`a[aria-label="Edit ${lea.username}"]`);
        await page.locator("#record-dialog[open]").waitFor();
      } else {
        await page.goto(`${ctx.url}/configure/users/${lea.id}`);
      }
      const form = page.locator("form.record-form");
      const slider = form.locator('input[name="mfaEnabled"]');
      const warning = form.locator("#mfa-reset-warning .reset-warning");
      await slider.uncheck();
      if (js) {
        await warning.waitFor();
        const text = await warning.innerText();
        assert.match(text, new RegExp(`off for ${lea.username} resets it`));
        assert.match(text, /The authenticator app enrollment is removed/);
        assert.match(text, /2 web sessions and 1 device token end/);
        assert.is((await s.mfa.statusOf(lea.id)).state, "active", "the warning changes nothing");
        await check(page, js, "user dialog with the live reset warning");
        await shot(page, js, "user-dialog-reset-warning");
        await slider.check();
        await warning.waitFor({ state: "detached" });
        assert.is(await form.locator("#mfa-reset-warning").innerText(), "", "switched on: the warning is gone");
        await slider.uncheck();
        await warning.waitFor();
      } else {
        // Without JavaScript nothing happens on the page: Save asks instead.
        assert.is(await warning.count(), 0);
      }
      await form.locator('button[value="save"]').click();
      const confirm = page.getByRole("button", { name: "Confirm" });
      await confirm.waitFor();
      assert.match(await page.locator(".reset-confirm").innerText(), /2 web sessions and 1 device token end/);
      assert.is((await s.mfa.statusOf(lea.id)).state, "active", "nothing changed before Confirm");
      assert.equal(await s.credentialCounts.of(lea.id), { webSessions: 2, deviceTokens: 1 });
      await confirm.click();
      if (!js) await page.waitForURL(`${ctx.url}/configure/users`);
      await page.locator('[role="status"].flash').waitFor();
      assert.match(await flashText(page), new RegExp(`Saved ${lea.username}\\. MFA off\\. MFA reset`));
      assert.is((await s.mfa.statusOf(lea.id)).state, "off");
      assert.equal(await s.credentialCounts.of(lea.id), { webSessions: 0, deviceTokens: 0 });
      await page.context().close();
    },
  );

  t(
    `${mode}: Unassign on a hardware token asks first; Cancel changes nothing, Confirm returns it to the pool`,
    async (ctx) => {
      const s = ctx.env.services;
      const n = js ? 501 : 502;
      const serial = `HW-${n}`;
      const { token } = await s.hardware.registry.register(
        { name: `Key ${n}`, serialNumber: serial, timeInterval: "30", secretKey: base32For(n) },
        { id: ctx.admin.id, name: "root" },
        ctx.siteId,
      );
      const hal = await s.users.create({
        siteId: ctx.siteId,
        username: js ? "hal-js" : "hal-nojs",
        password: PASSWORD,
      });
      await s.mfa.settings.applySettings(hal.id, { enabled: true, enforcementDelayDays: 0 }, ctx.admin);
      const params = await s.hardware.registry.params((await s.hardware.registry.byId(token.id))!);
      const done = await s.hardware.activation.activateHardware(hal.id, serial, codeAt(ctx.env.clock, params), {
        id: hal.id,
        name: hal.username,
        siteId: null,
      });
      assert.ok(done.ok, "fixture: the token is assigned");
      await s.sessions.create(hal.id, ctx.siteId, "full", null);
      await s.deviceTokens.issue(hal.id, null);

      const page = await adminPage(ctx, js);
      const unassign = async () => {
        await page.goto(`${ctx.url}/configure/mfa-hardware?q=${serial}`);
        await page.locator(`#token-${token.id} button`, { hasText: "Unassign" }).click();
        await page.getByRole("heading", { name: `Unassign token ${serial}?` }).waitFor();
      };
      await unassign();
      const text = await page.locator(".reset-confirm").innerText();
      assert.match(
        text,
        new RegExp(`Unassigning token ${serial} resets the multi-factor authentication \\(MFA\\) of ${hal.username}`),
      );
      assert.match(text, new RegExp(`Hardware token ${serial} goes back to the pool`));
      assert.match(text, /1 web session and 1 device token end/);
      assert.is(await page.getByRole("button", { name: "Confirm" }).count(), 1);
      await check(page, js, "unassign confirmation");
      await shot(page, js, "hardware-unassign-confirm");

      await page.getByRole("button", { name: "Cancel" }).click();
      await page.waitForURL(new RegExp(`/configure/mfa-hardware\\?q=${serial}$`));
      assert.match(await page.locator(`#token-${token.id} .token-status`).innerText(), new RegExp(hal.username));
      assert.is((await s.mfa.statusOf(hal.id)).state, "active", "Cancel changed nothing");
      assert.equal(await s.credentialCounts.of(hal.id), { webSessions: 1, deviceTokens: 1 });

      await unassign();
      await page.getByRole("button", { name: "Confirm" }).click();
      await page.locator('[role="status"].flash').waitFor();
      assert.match(await flashText(page), new RegExp(serial));
      assert.is((await s.hardware.registry.byId(token.id))!.state.kind, "available", "back in the pool");
      assert.is.not((await s.mfa.statusOf(hal.id)).state, "active", "their MFA is reset");
      assert.equal(await s.credentialCounts.of(hal.id), { webSessions: 0, deviceTokens: 0 });
      await check(page, js, "hardware list after unassign");
      await page.context().close();
    },
  );
}

t("JavaScript on: the import preview of a token file with one bad row", async (ctx) => {
  const page = await adminPage(ctx, true);
  await page.goto(`${ctx.url}/configure/mfa-hardware/import`);
  const csv = [
    "upn,serial number,secret key,time interval,manufacturer,model",
    `,IMP-601,${base32For(601)},30,Token Works,TW-6`,
    `,IMP-602,${base32For(602)},30,Token Works,TW-6`,
    `,IMP-603,not base32!,30,Token Works,TW-6`,
    `,IMP-604,${base32For(604)},60,Token Works,TW-6`,
    "",
  ].join("\n");
  await page.setInputFiles('input[name="file"]', {
    name: "tokens.csv",
    mimeType: "text/csv",
    buffer: Buffer.from(csv),
  });
  await page.getByRole("button", { name: "Preview import" }).click();
  await page.getByRole("heading", { name: "Import preview" }).waitFor();
  assert.match(await page.locator("#import-counts").innerText(), /4 rows: 3 good, 1 bad/);
  assert.equal(await page.locator("#bad-rows tbody td:nth-child(2)").allInnerTexts(), ["IMP-603"]);
  assert.is((await ctx.env.services.hardware.registry.bySerial("IMP-601")) ?? null, null, "nothing stored yet");
  await check(page, true, "import preview");
  await shot(page, true, "hardware-import-preview");
  await page.context().close();
});

if (hasChromium) t.run();
else skipSuite("chromium not installed (apt-get install chromium)");
