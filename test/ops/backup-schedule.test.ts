import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { decodeBackup } from "../../engine/ops/backup-file.js";
import { nextBackupAt, parseBackupSchedule, startBackupSchedule } from "../../engine/ops/backup-schedule.js";
import { readFileSync } from "node:fs";
import { Backups } from "../../engine/ops/backups.js";
import { startTestEnv, TestClient } from "../helpers/app.js";

// BACKUP_SCHEDULE and BACKUP_KEEP (issue 24) acting in the running server, moved by a ManualClock:
// a backup when the time comes (once, however far the clock jumps), the newest BACKUP_KEEP of the
// schedule's own kept, and nothing else in DATA_DIR/backups ever deleted.
const t = suite("backup schedule");

t("parse: hourly and daily@HH:MM (UTC); anything else is null", () => {
  assert.equal(parseBackupSchedule("hourly"), { kind: "hourly" });
  assert.equal(parseBackupSchedule("daily@02:30"), { kind: "daily", hour: 2, minute: 30 });
  assert.equal(parseBackupSchedule("daily@23:59"), { kind: "daily", hour: 23, minute: 59 });
  for (const bad of ["daily@24:00", "daily@2:00", "daily", "weekly", "", "hourly@02:00"]) {
    assert.is(parseBackupSchedule(bad), null, bad);
  }
});

t("next run: the next full hour, or the next HH:MM UTC strictly after now", () => {
  const at = (iso: string) => new Date(iso);
  const hourly = { kind: "hourly" } as const;
  const daily = { kind: "daily", hour: 2, minute: 0 } as const;
  assert.equal(nextBackupAt(hourly, at("2026-01-05T09:00:00Z")), at("2026-01-05T10:00:00Z"));
  assert.equal(nextBackupAt(hourly, at("2026-01-05T09:59:59.999Z")), at("2026-01-05T10:00:00Z"));
  assert.equal(nextBackupAt(hourly, at("2026-12-31T23:30:00Z")), at("2027-01-01T00:00:00Z"));
  assert.equal(nextBackupAt(daily, at("2026-01-05T01:59:00Z")), at("2026-01-05T02:00:00Z"));
  assert.equal(nextBackupAt(daily, at("2026-01-05T02:00:00Z")), at("2026-01-06T02:00:00Z"));
  assert.equal(nextBackupAt(daily, at("2026-02-28T23:00:00Z")), at("2026-03-01T02:00:00Z"));
});

t("the schedule fires at its time, keeps BACKUP_KEEP of its own, never deletes a file it did not make", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-schedule-"));
  const env = await startTestEnv({ DATA_DIR: dir, BACKUP_SCHEDULE: "daily@02:00", BACKUP_KEEP: 2 });
  const backups = join(dir, "backups");
  try {
    env.clock.set("2026-01-05T09:00:00Z");
    // Files that are not the schedule's: a backup made by hand, a file named like the schedule's
    // that is not a backup it made, notes, someone else's partial; and one of its own partials a
    // killed backup left (removed at start).
    const manual = (await env.services.backups.create("page")).name;
    mkdirSync(backups, { recursive: true });
    const foreign = ["formgate-scheduled-20200101T000000Z.fgbackup", "notes.txt", "someone-else.fgbackup.partial"];
    for (const f of foreign) writeFileSync(join(backups, f), "not the schedule's");
    writeFileSync(join(backups, "formgate-scheduled-20251231T020000Z.fgbackup.partial"), "half a backup");

    const { schedule, stop } = startBackupSchedule(env.services, env.services.log, 3_600_000);
    assert.ok(schedule);
    assert.not.ok(existsSync(join(backups, "formgate-scheduled-20251231T020000Z.fgbackup.partial")));
    assert.equal(schedule.next, new Date("2026-01-06T02:00:00Z"));
    assert.is(await schedule.tick(), null, "not yet");
    env.clock.set("2026-01-06T01:59:59Z");
    assert.is(await schedule.tick(), null, "not yet");

    const made: string[] = [];
    for (let day = 6; day <= 8; day++) {
      env.clock.set(`2026-01-${String(day).padStart(2, "0")}T02:00:00Z`);
      const run = await schedule.tick();
      assert.ok(run?.made, `day ${day}: a backup`);
      assert.is(run.error, undefined);
      made.push(run.made);
      assert.is(await schedule.tick(), null, "once per time");
      const header = decodeBackup(readFileSync(join(backups, run.made))).header;
      assert.is(header.madeBy, "schedule");
      assert.is(header.createdAt, `2026-01-${String(day).padStart(2, "0")}T02:00:00.000Z`);
    }
    assert.equal(made[0], "formgate-scheduled-20260106T020000Z.fgbackup");
    const own = readdirSync(backups).filter((f) => f.startsWith("formgate-scheduled-2026"));
    assert.equal(own.sort(), made.slice(-2).sort(), "the newest 2 of its own are kept");
    for (const f of [manual, ...foreign]) assert.ok(existsSync(join(backups, f)), `${f} is never deleted`);

    // The server was asleep for three days: one backup, not three.
    env.clock.set("2026-01-13T12:00:00Z");
    const late = await schedule.tick();
    assert.is(late?.made, "formgate-scheduled-20260113T120000Z.fgbackup");
    assert.equal(schedule.next, new Date("2026-01-14T02:00:00Z"));
    assert.is(readdirSync(backups).filter((f) => f.startsWith("formgate-scheduled-2026")).length, 2);
    await stop();
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

t("a scheduled backup on a full disk: a warning, nothing left, the failure on Configure > Backups", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-schedule-"));
  const env = await startTestEnv({ DATA_DIR: dir, BACKUP_SCHEDULE: "hourly" });
  try {
    const pub = await env.services.sites.publicSite();
    await env.services.users.create({ siteId: pub.id, username: "root", password: "a long password", role: "admin" });
    env.clock.set("2026-02-01T09:30:00Z");
    // The disk is full: every write(2) fails with ENOSPC (the write is injected, no disk is filled).
    const full = () => {
      throw Object.assign(new Error("ENOSPC: no space left on device, write"), { code: "ENOSPC" });
    };
    env.services.backups = new Backups(env.services.db, env.clock, dir, null, { write: full });
    const { schedule, stop } = startBackupSchedule(env.services, env.services.log, 3_600_000);
    env.clock.set("2026-02-01T10:00:00Z");
    const lines = env.logLines.length;
    const run = await schedule!.tick();
    assert.is(run?.made, null);
    assert.match(run!.error!, /^no space left in .*backups for the backup/);
    const logged = env.logLines.slice(lines).map((l) => JSON.parse(l) as { msg: string; level: string });
    assert.ok(logged.some((l) => l.msg === "scheduled backup failed" && l.level === "warn"));
    assert.equal(readdirSync(join(dir, "backups")), [], "no file, no .partial");
    const c = new TestClient(env.app);
    await c.signIn("root", "a long password");
    const page = await c.get("/configure/backups");
    assert.match(
      page.html,
      /<p class="notice error" role="alert" data-schedule-failure="true">The scheduled backup of <time datetime="2026-02-01T10:00:00\.000Z">2026-02-01 10:00 UTC<\/time> failed: no space left in /,
    );
    // In the site's time zone, as the rest of the console.
    await env.services.sites.setTimeZone(pub.id, "Asia/Tokyo");
    assert.match(
      (await c.get("/configure/backups")).html,
      /The scheduled backup of <time[^>]*>2026-02-01 19:00 Asia\/Tokyo<\/time> failed/,
    );
    await stop();
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

t("without BACKUP_SCHEDULE nothing runs; the page's backups are all kept", async () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-schedule-"));
  const env = await startTestEnv({ DATA_DIR: dir });
  try {
    const { schedule } = startBackupSchedule(env.services, env.services.log, 3_600_000);
    assert.is(schedule, null);
  } finally {
    await env.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
