// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../engine/clock.js";
import { generateHotp } from "../../engine/mfa/totp.js";
import type { SecretBox } from "../../engine/mfa/secret-box.js";
import { HardwareTokens } from "../../engine/mfa/hardware/token-registry.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { base32For, chunksOf, keyFor } from "./fixtures.js";

interface Ctx {
  env: TestEnv;
  siteId: string;
}
const t = suite<Ctx>(`find token by code [${testBackend}]`);
const actor = { id: null, name: "test" };
/** One import's worth of tokens: more than one query's batch in the old code did at once. */
const MANY = 1000;

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
  const csv = ["serial number,secret key,time interval"];
  for (let i = 0; i < MANY; i++) csv.push(`MANY-${String(i).padStart(5, "0")},${base32For(i)},30`);
  await ctx.env.services.hardware.importer.commit(chunksOf(csv.join("\n"), 4096), {
    fileName: "many.csv",
    actor,
    siteId: ctx.siteId,
    skipBad: false,
  });
});
t.after(async (ctx) => ctx.env.close());

/** The services' SecretBox, counting the keys opened and calling `onOpen` with the count. */
function countingBox(box: SecretBox, onOpen: (opened: number) => void) {
  let opened = 0;
  const counting = Object.create(box) as SecretBox;
  counting.open = (sealed: string, context: string) => {
    onOpen(++opened);
    return box.open(sealed, context);
  };
  return { box: counting, opened: () => opened };
}

t("another request is answered while a find opens the keys of many tokens", async ({ env }) => {
  const s = env.services;
  const order: string[] = [];
  const login: Promise<void>[] = [];
  let openedWhenLoginAnswered = -1;
  const counting = countingBox(s.secretBox, (opened) => {
    // The find is under way: a visitor opens the sign-in page.
    if (opened === 1) {
      login.push(
        Promise.resolve(env.app.request("/login")).then((res) => {
          assert.is(res.status, 200);
          openedWhenLoginAnswered = counting.opened();
          order.push("login");
        }),
      );
    }
  });
  // A monotonic clock that moves 1 ms whenever it is read: a slice is a count of tokens, not a time.
  let ms = 0;
  const registry = new HardwareTokens(s.db, env.clock, counting.box, s.audit, () => ms++);
  const matches = await registry.findByCode("000000").then((m) => {
    order.push("find");
    return m;
  });
  assert.is(login.length, 1);
  await Promise.all(login);
  assert.is(counting.opened(), MANY, "every key was tried");
  assert.equal(order, ["login", "find"]);
  assert.ok(
    openedWhenLoginAnswered < MANY / 2,
    `the sign-in page was answered after ${openedWhenLoginAnswered} of ${MANY} keys, not when the find was done`,
  );
  assert.ok(Array.isArray(matches));
});

t(
  "the exact match is listed before a token whose clock is off, whatever their serial numbers",
  async ({ env, siteId }) => {
    const s = env.services;
    // 90 s after the epoch: step 3 of a 30-second token, step 1 of a 60-second one. The same key under
    // both shows HOTP(key, 3) now on the 30-second token and 2 steps ahead on the 60-second one.
    const clock = new ManualClock("1970-01-01T00:01:30Z");
    const registry = new HardwareTokens(s.db, clock, s.secretBox, s.audit);
    for (const [serial, timeInterval] of [
      ["AAA-AHEAD", "60"],
      ["ZZZ-EXACT", "30"],
    ] as const) {
      await registry.register({ serialNumber: serial, timeInterval, secretKey: base32For(5000) }, actor, siteId);
    }
    const code = generateHotp(keyFor(5000), 3, "SHA1", 6);
    const found = (await registry.findByCode(code)).map((m) => [m.token.serialNumber, m.offsetSteps]);
    assert.equal(found, [
      ["ZZZ-EXACT", 0],
      ["AAA-AHEAD", 2],
    ]);
  },
);

t.run();
