// @storage
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createDatabase, testBackend } from "../helpers/db.js";
import { TEST_SECRET_KEY, testConfig } from "../helpers/app.js";
import { systemClock } from "../../engine/clock.js";
import { openDb } from "../../engine/db/open.js";
import { silentLogger } from "../../engine/log.js";
import { createServices } from "../../engine/services.js";
import { migrate } from "../../engine/db/migrate.js";

// `formgate mfa enable` and `formgate mfa policy` as an operator runs them: the built command in a
// process of its own, on an embedded data directory or a PostgreSQL database of this suite's own.
const dataDir = mkdtempSync(join(tmpdir(), "formgate-rollout-cli-"));
const database = testBackend === "pg" ? await createDatabase() : null;

function formgate(args: string[]) {
  const r = spawnSync(process.execPath, ["bin/formgate.js", ...args], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      ...(database ? { DATABASE_URL: database.url } : {}),
    },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

async function withServices<T>(fn: (s: ReturnType<typeof createServices>) => Promise<T>): Promise<T> {
  const db = await openDb({ DATABASE_URL: database?.url, DATA_DIR: dataDir }, silentLogger);
  try {
    await migrate(db);
    return await fn(
      createServices(db, systemClock, testConfig(), silentLogger, Buffer.from(TEST_SECRET_KEY, "base64")),
    );
  } finally {
    await db.close();
  }
}

test.after(async () => {
  rmSync(dataDir, { recursive: true, force: true });
  await database?.drop();
});

test(`mfa enable: bad use exits non-zero with a clear message and changes nothing [${testBackend}]`, async () => {
  await withServices(async (s) => {
    const site = await s.sites.publicSite();
    for (const [name, department] of [
      ["ann", "Sales"],
      ["bob", "Sales"],
      ["dan", "Finance"],
    ] as const) {
      const u = await s.users.create({ siteId: site.id, username: name });
      await s.db.query("UPDATE users SET data = jsonb_build_object('department', $2::text) WHERE id = $1", [
        u.id,
        department,
      ]);
    }
    // A designer field, so --where department=… names a field the app has.
    const app = (await s.apps.get(site.id, "user-accounts"))!;
    const definition = structuredClone(app.definition);
    definition.record.properties.department = { type: "string", title: "Department", maxLength: 50 };
    definition.form!.sections![0]!.fields.push("department");
    await s.apps.save(site.id, definition, { id: null, name: "designer" }, app.version);
  });
  const bad: [string[], RegExp][] = [
    [["mfa", "enable", "--role", "user"], /needs --delay DAYS/],
    [["mfa", "enable", "--delay", "two"], /--delay must be a whole number of days from 0 to 3650/],
    [["mfa", "enable", "--delay", "3", "--role", "owner"], /--role must be admin, designer or user/],
    [["mfa", "enable", "--delay", "3", "--site", "nowhere"], /no site "nowhere"/],
    [["mfa", "enable", "--delay", "3", "--where", "department"], /--where must be FIELD=VALUE/],
    [["mfa", "enable", "--delay", "3", "--where", "colour=red"], /no designer field "colour"/],
    [["mfa", "enable", "--delay", "3", "--everyone"], /unknown option "--everyone"/],
    [
      ["mfa", "enable", "--delay", "3", "--mfa", "sleepy"],
      /--mfa must be off, pending, overdue, activated, locked \(got "sleepy"\)/,
    ],
    [["mfa", "policy", "--roles", "owner", "--delay", "3"], /Role "owner" is not admin, designer or user/],
  ];
  for (const [args, message] of bad) {
    const r = formgate(args);
    assert.is(r.code, 1, `${args.join(" ")}: ${r.out}`);
    assert.match(r.err, message);
  }
  const enabled = await withServices(async (s) => (await s.db.query("SELECT 1 FROM mfa_settings WHERE enabled")).rows);
  assert.is(enabled.length, 0);
});

test(`mfa enable: --dry-run lists and changes nothing; the run switches on and prints the usernames [${testBackend}]`, async () => {
  const dry = formgate(["mfa", "enable", "--where", "department=sales", "--delay", "14", "--dry-run"]);
  assert.is(dry.code, 0, dry.err);
  assert.match(dry.out, /dry run: would switch on 2 users/);
  assert.match(dry.out, /\n {2}ann\n {2}bob\n/);
  const none = await withServices(async (s) => (await s.db.query("SELECT 1 FROM mfa_settings WHERE enabled")).rows);
  assert.is(none.length, 0);
  const run = formgate(["mfa", "enable", "--site", "public", "--where", "department=sales", "--delay", "14"]);
  assert.is(run.code, 0, run.err);
  assert.match(run.out, /switched on 2 users and moved 0 deadlines, 0 already on keep their deadline/);
  const again = formgate(["mfa", "enable", "--where", "department=SALES", "--delay", "14"]);
  assert.match(again.out, /switched on 0 users and moved 0 deadlines, 2 already on keep their deadline/);
  const rows = await withServices(
    async (s) =>
      (
        await s.db.query<{ username: string; delay: number }>(
          `SELECT u.username, m.enforcement_delay_days AS delay FROM users u JOIN mfa_settings m ON m.user_id = u.id
           WHERE m.enabled ORDER BY u.username`,
        )
      ).rows,
  );
  assert.equal(rows, [
    { username: "ann", delay: 14 },
    { username: "bob", delay: 14 },
  ]);
});

test(`mfa policy: set, show, and user create follows it [${testBackend}]`, () => {
  const set = formgate(["mfa", "policy", "--roles", "designer", "--delay", "7"]);
  assert.is(set.code, 0, set.err);
  assert.match(set.out, /new accounts with the role designer start with MFA on, 7 days to set up/);
  const shown = formgate(["mfa", "policy", "--site", "public"]);
  assert.match(shown.out, /new accounts with the role designer start with MFA on/);
  const r = spawnSync(process.execPath, ["bin/formgate.js", "user", "create", "desi", "--role", "designer"], {
    env: {
      ...process.env,
      DATA_DIR: dataDir,
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      FORMGATE_PASSWORD: "a long enough password",
      ...(database ? { DATABASE_URL: database.url } : {}),
    },
    encoding: "utf8",
  });
  assert.is(r.status, 0, r.stderr);
  assert.match(r.stdout, /MFA on \(site policy\), 7 days/);
});

test(`mfa enable/policy --help print the usage and exit 0; --delay=5 works as --delay 5 [${testBackend}]`, () => {
  for (const sub of ["enable", "policy"]) {
    const r = formgate(["mfa", sub, "--help"]);
    assert.is(r.code, 0, r.err);
    assert.match(r.out, /mfa enable \[--role R\]/);
    assert.match(r.out, /mfa policy \[--site SLUG\]/);
  }
  const dry = formgate(["mfa", "enable", "--where=department=finance", "--delay=5", "--dry-run"]);
  assert.is(dry.code, 0, dry.err);
  assert.match(
    dry.out,
    /dry run: would switch on 1 user and.*required from \d{4}-\d\d-\d\d; nothing changed\n {2}dan\n/s,
  );
});

test(`mfa policy: an option left out keeps the site's current value, and the output says so [${testBackend}]`, async () => {
  // The web form shows both fields filled with the current values: leaving one alone keeps it.
  const fresh = formgate(["mfa", "policy", "--site", "public", "--roles", "admin"]);
  assert.is(fresh.code, 0, fresh.err);
  assert.match(fresh.out, /new accounts with the role admin start with MFA on, 7 days to set up/);
  assert.match(fresh.out, /delay kept: 7 days, the site's current delay \(--delay DAYS changes it\)/);
  const delayOnly = formgate(["mfa", "policy", "--delay", "3"]);
  assert.is(delayOnly.code, 0, delayOnly.err);
  assert.match(delayOnly.out, /new accounts with the role admin start with MFA on, 3 days to set up/);
  assert.match(delayOnly.out, /roles kept: admin, the site's current roles \(--roles R,R or none changes them\)/);
  const stored = await withServices(async (s) => s.mfaPolicies.get((await s.sites.publicSite()).id));
  assert.equal([stored.requiredRoles, stored.defaultEnforcementDelayDays], [["admin"], 3]);
  // On a site with no policy saved, the delay kept is the default the web form offers, and it says so.
  await withServices(async (s) => s.sites.create("branch", "Branch"));
  const branch = formgate(["mfa", "policy", "--site", "branch", "--roles", "user"]);
  assert.is(branch.code, 0, branch.err);
  assert.match(branch.out, /delay kept: 14 days, the default offered while no policy is saved/);
});

test.run();
