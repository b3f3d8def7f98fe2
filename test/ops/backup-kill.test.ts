import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, watch } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadConfig } from "../../engine/config.js";
import { silentLogger } from "../../engine/log.js";
import { decodeBackup } from "../../engine/ops/backup-file.js";
import { startBackupSchedule } from "../../engine/ops/backup-schedule.js";
import { bootServices } from "../../engine/start.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";

// SIGKILL during a backup (issue 24): a process making backups into DATA_DIR/backups is killed the
// moment its next file appears under the temporary name. Whatever it left, no file under a backup's
// name is incomplete: each one decodes (format, checksum, length), the list shows only those, and
// the next start removes the unfinished `.partial`.
const t = suite("SIGKILL during a backup");
const dir = mkdtempSync(join(tmpdir(), "formgate-backup-kill-"));
const env = { DATA_DIR: join(dir, "data"), FORMGATE_SECRET_KEY: TEST_SECRET_KEY, LOG_LEVEL: "silent" };
const backups = join(env.DATA_DIR, "backups");

/** Runs the backup loop and SIGKILLs it when the partial of its backup number `killAt` (1-based) appears. */
function killDuringBackup(killAt: number): Promise<{ made: string[]; partialSeen: string }> {
  mkdirSync(backups, { recursive: true });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/ops/backup-loop.ts"], {
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const made: string[] = [];
    let partials = 0;
    let partialSeen = "";
    let err = "";
    const watcher = watch(backups, (_event, name) => {
      if (!name?.endsWith(".partial") || name === partialSeen || !existsSync(join(backups, name))) return;
      partialSeen = name;
      if (++partials === killAt) child.kill("SIGKILL");
    });
    child.stdout.on("data", (d: Buffer) => {
      for (const line of d.toString().split("\n")) if (line.startsWith("made ")) made.push(line.slice(5));
    });
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (_code, signal) => {
      watcher.close();
      if (signal !== "SIGKILL") reject(new Error(`the loop ended by itself: ${err}`));
      else resolve({ made, partialSeen });
    });
  });
}

t("no file under a backup's name is incomplete; the list skips the partial; the next start removes it", async () => {
  let landed = false;
  for (let attempt = 1; attempt <= 3 && !landed; attempt++) {
    const { made, partialSeen } = await killDuringBackup(2);
    const files = readdirSync(backups);
    const complete = files.filter((f) => f.endsWith(".fgbackup"));
    for (const f of complete) decodeBackup(readFileSync(join(backups, f))); // throws for an incomplete one
    assert.ok(
      made.every((f) => complete.includes(f)),
      "every backup reported made is there",
    );
    landed = files.includes(partialSeen);
    console.log(
      `attempt ${attempt}: ${made.length} made, ${complete.length} complete files, ` +
        `the kill ${landed ? "landed while the second backup was being written" : "came after its rename"}`,
    );
  }
  assert.ok(landed, "one of three kills landed in the middle of a backup");
  const s = await bootServices(loadConfig({ ...process.env, ...env }), silentLogger, undefined, "kill test");
  try {
    const listed = (await s.backups.list()).map((b) => b.name);
    assert.not.ok(
      listed.some((n) => n.includes(".partial")),
      "the list never shows a partial",
    );
    startBackupSchedule(s, silentLogger);
    assert.equal(
      readdirSync(backups).filter((f) => f.endsWith(".partial")),
      [],
      "removed at start",
    );
    assert.equal(readdirSync(backups).sort(), listed.sort());
  } finally {
    await s.db.close();
  }
});

t.after(() => rmSync(dir, { recursive: true, force: true }));
t.run();
