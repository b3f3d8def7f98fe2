import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ConfigError, loadConfig } from "../../engine/config.js";
import { makeDataDir } from "../../engine/db/data-dir.js";

// Start-up refusals an operator reads (review of the operations side, finding 6): a DATA_DIR that
// cannot be created names the real cause (mkdir with parents says ENOENT on a read-only file
// system), and a METRICS_TOKEN that does not fit says the rule, since its value is never shown.
const t = suite("start-up messages");

t("METRICS_TOKEN too short: the message states the rule, never the value", () => {
  const err = (() => {
    try {
      loadConfig({ METRICS_TOKEN: "short" });
      return null;
    } catch (e) {
      return e as Error;
    }
  })();
  assert.instance(err, ConfigError);
  assert.is(
    err!.message,
    "Configuration error: METRICS_TOKEN must be 16 to 256 printable ASCII characters without spaces (e.g. the output of `openssl rand -hex 32`)",
  );
});

t("DATA_DIR under a read-only file system: 'cannot be created', and why", () => {
  const mountPoint = mkdtempSync(join(tmpdir(), "formgate-ro-"));
  const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "ro,size=1m", "tmpfs", mountPoint], { encoding: "utf8" });
  try {
    if (mounted.status !== 0) {
      console.log(`  (skipped: mounting a read-only tmpfs is not permitted here: ${mounted.stderr.trim()})`);
      return;
    }
    const dir = join(mountPoint, "formgate", "data");
    assert.throws(
      () => makeDataDir(dir),
      (e: Error) => e.message === `DATA_DIR ${dir} cannot be created: ${mountPoint} is on a read-only file system`,
    );
  } finally {
    if (mounted.status === 0) spawnSync("umount", ["-l", mountPoint]);
    rmSync(mountPoint, { recursive: true, force: true });
  }
});

t("DATA_DIR under a file: 'is not a directory'", () => {
  const dir = mkdtempSync(join(tmpdir(), "formgate-datadir-"));
  try {
    const file = join(dir, "a-file");
    spawnSync("touch", [file]);
    assert.throws(
      () => makeDataDir(join(file, "data")),
      (e: Error) => e.message === `DATA_DIR ${join(file, "data")} cannot be created: ${file} is not a directory`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

t.run();
