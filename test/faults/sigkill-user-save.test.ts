// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ManualClock } from "../../engine/clock.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import type { AppDefinition } from "../../engine/schema/types.js";
import { testConfig, TEST_SECRET_KEY } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { randomBetween, WatchedChild } from "../helpers/child-process.js";
import { ownDatabase, type OwnDatabase } from "./own-database.js";
import { samForm, type Account } from "./user-save-loop.js";
import { loudHook } from "../helpers/loud-hook.js";

/*
 * A process saving a user account in a loop (test/faults/user-save-loop.ts),
 * killed with SIGKILL at a random SQL statement of a save, several times: the
 * account is always one whole generation — display name, e-mail, the
 * designer's field, the MFA settings, its version and its audit entries agree
 * — and never older than the last save the process reported as done.
 */

const ROUNDS = 3;
const t = suite<{ db: OwnDatabase }>(`SIGKILL during a user save [${testBackend}]`);

t.before(
  loudHook(async (ctx) => {
    ctx.db = await ownDatabase(async (db) => {
      const secretKey = Buffer.from(TEST_SECRET_KEY, "base64");
      const s = createServices(db, new ManualClock(), testConfig(), silentLogger, secretKey);
      const site = (await s.sites.publicSite()).id;
      await s.users.create({ siteId: site, username: "root", role: "admin" });
      const sam = await s.users.create({ siteId: site, username: "sam", ...generation0() });
      await db.query(`UPDATE users SET data = '{"department": "dept-0"}' WHERE id = $1`, [sam.id]);
      // A designer added a field, stored in users.data beside the engine's columns.
      const app = (await s.apps.get(site, "user-accounts"))!;
      const definition = structuredClone<AppDefinition>(app.definition);
      definition.record.properties.department = { type: "string", title: "Department", maxLength: 50 };
      definition.form!.sections![0]!.fields.push("department");
      await s.apps.save(site, definition, { id: null, name: "designer" }, app.version);
    });
  }),
);
t.after(async (ctx) => ctx.db?.drop());

function generation0() {
  const f = samForm(0);
  return { displayName: f.displayName!, email: f.email! };
}

/** The generation the row holds, after checking that every part of it holds the same one. */
function wholeGeneration(a: Account): number {
  const g = Number(/^Sam generation (\d+)$/.exec(a.display_name)?.[1] ?? NaN);
  assert.ok(Number.isInteger(g), `display name ${a.display_name}`);
  const form = samForm(g);
  const seen = {
    email: a.email,
    department: a.department,
    version: a.version,
    mfaEnabled: a.enabled ?? false,
    updates: a.updates,
    enables: a.enables,
    disables: a.disables,
  };
  const expected = {
    email: form.email,
    department: form.department,
    version: g + 1,
    mfaEnabled: g % 2 === 1,
    updates: g,
    enables: Math.ceil(g / 2),
    disables: Math.floor(g / 2),
  };
  assert.equal(seen, expected, `generation ${g} is whole`);
  if (a.enabled) {
    assert.is(a.delay, g % 7, "the delay of the same save");
    assert.ok(a.required_from, "a deadline");
  }
  return g;
}

t("killed at a random statement of a save, the account is the old or the new one, whole", async (ctx) => {
  const outcomes: string[] = [];
  let lastSaved = 0;
  for (let round = 1; round <= ROUNDS + 1; round++) {
    const last = round > ROUNDS;
    const args = ["--import", "tsx", "test/faults/user-save-loop.ts", ...(last ? ["--read-only"] : [])];
    const child = new WatchedChild(args, {
      ...ctx.db.env,
      LOG_LEVEL: "debug",
    });
    // What the killed process left, as the next one finds it once the database has recovered.
    const found = JSON.parse((await child.waitFor("the account", (l) => l.startsWith("account "))).slice(8));
    const g = wholeGeneration(found);
    assert.ok(
      g === lastSaved || g === lastSaved + 1,
      `generation ${g} after the last reported save ${lastSaved}: a reported save was lost, or more than one appeared`,
    );
    if (round > 1) outcomes[outcomes.length - 1] += g > lastSaved ? ": new" : ": old";
    if (last) {
      assert.equal(await child.exited, { code: 0, signal: null }, child.tail());
      break;
    }
    // One whole save first, to count its statements; then a kill inside the next one.
    const first = Number((await child.waitFor("a save", (l) => l.startsWith("saving "))).split(" ")[1]);
    let statements = 0;
    const counting = (l: string) => {
      if (l.includes('"msg":"query"')) statements++;
      return l === `saved ${first}`;
    };
    await child.waitFor(`save ${first}`, counting);
    const killAt = randomBetween(0, statements);
    await child.waitFor(`save ${first + 1}`, (l) => l === `saving ${first + 1}`);
    let done = 0;
    if (killAt > 0) {
      await child.waitFor(`statement ${killAt} of save ${first + 1}`, (l) => {
        if (l === `saved ${first + 1}`) return true; // the save finished before the chosen statement came
        return l.includes('"msg":"query"') && ++done === killAt;
      });
    }
    await child.kill();
    const saved = child.output.filter((l) => /^saved \d+$/.test(l)).map((l) => Number(l.split(" ")[1]));
    lastSaved = Math.max(...saved);
    outcomes.push(`killed after statement ${killAt} of ${statements} of save ${first + 1}`);
  }
  console.log(`  ${outcomes.join("\n  ")}`);
});

t.run();
