import { test } from "uvu";
import * as assert from "uvu/assert";
import { randomBytes } from "node:crypto";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { appParams, codeAt as codeOf } from "../helpers/totp.js";

/** A user of `env` with an activated authenticator app, and a code `offset` steps from now. */
async function enrolled(env: TestEnv) {
  const siteId = (await env.services.sites.publicSite()).id;
  const user = await env.services.users.create({ siteId, username: "win" });
  const self = { id: user.id, name: user.username, siteId: null };
  await env.services.mfa.settings.applySettings(
    user.id,
    { enabled: true, enforcementDelayDays: 0 },
    { ...self, siteId },
  );
  const p = appParams(randomBytes(20));
  const codeAt = (offset: number) => codeOf(env.clock, p, offset);
  assert.equal(await env.services.mfa.activation.activate(user.id, { method: "app", ...p }, codeAt(0), self), {
    ok: true,
  });
  env.clock.advanceSeconds(90);
  return { userId: user.id, codeAt };
}

test("TOTP_WINDOW_STEPS sets how many steps around now a code may come from", async () => {
  const strict = await startTestEnv({ TOTP_WINDOW_STEPS: 0 });
  const loose = await startTestEnv({ TOTP_WINDOW_STEPS: 2 });
  try {
    const a = await enrolled(strict);
    assert.is(
      (await strict.services.mfa.codes.verifyCode(a.userId, a.codeAt(-1))).ok,
      false,
      "window 0: a late code fails",
    );
    assert.is((await strict.services.mfa.codes.verifyCode(a.userId, a.codeAt(0))).ok, true);

    const b = await enrolled(loose);
    assert.is((await loose.services.mfa.codes.verifyCode(b.userId, b.codeAt(-2))).ok, true, "window 2: two steps late");
    loose.clock.advanceSeconds(120);
    assert.is((await loose.services.mfa.codes.verifyCode(b.userId, b.codeAt(3))).ok, false, "three steps is too far");
  } finally {
    await strict.close();
    await loose.close();
  }
});

test.run();
