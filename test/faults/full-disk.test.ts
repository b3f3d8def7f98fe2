// Issue 20, fault 3, on a real full disk: the server's DATA_DIR is a tmpfs this suite mounts (root
// only; elsewhere the suite is skipped and says so) and fills with a filler file. Before the fix the
// server spun at 100% CPU, answered nothing and ignored SIGTERM once PGlite needed a new WAL segment
// (engine/db/space-guard.ts says why); now writes are refused with 503 before PGlite meets the full
// disk, reads and /healthz go on, writes resume when space is freed, SIGTERM stops it, and nothing
// acknowledged is lost across SIGKILL and a restart.
import { spawnSync } from "node:child_process";
import { once } from "node:events";
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { loadConfig } from "../../engine/config.js";
import { createLogger } from "../../engine/log.js";
import { bootServices } from "../../engine/start.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import { startServer, stopServer, type Started } from "../helpers/server-process.js";
import { skipSuite } from "../helpers/skip.js";

const mountPoint = mkdtempSync(join(tmpdir(), "formgate-full-disk-"));
// 96 MiB: the new database takes about 40 (a 16 MiB WAL segment, tables), the rest is to fill.
const mounted = spawnSync("mount", ["-t", "tmpfs", "-o", "size=96m", "tmpfs", mountPoint], { encoding: "utf8" });

const t = suite("a full disk under the embedded database");
const dataDir = join(mountPoint, "data");
const filler = join(mountPoint, "filler");
const PASSWORD = "a long enough password for the disk";
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LOG_LEVEL: "info",
  DATA_DIR: dataDir,
  FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
};
t.after(() => {
  // Always: a mount left behind would outlive the run.
  spawnSync("umount", ["-l", mountPoint]);
  rmSync(mountPoint, { recursive: true, force: true });
});

/** Writes the filler until the file system refuses another byte. */
function fillDisk(): void {
  const fd = openSync(filler, "a");
  try {
    for (const size of [1 << 20, 4096, 1]) {
      const chunk = Buffer.alloc(size, 1);
      try {
        for (;;) writeSync(fd, chunk);
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== "ENOSPC") throw err;
      }
    }
  } finally {
    closeSync(fd);
  }
  const fs = statfsSync(mountPoint);
  assert.is(fs.bavail * fs.bsize, 0, "the disk is full");
}

interface Answer {
  status: number;
  retryAfter: string | null;
  body: string;
}

/** One request with a 5 s bound: a server that does not answer by then fails the test. */
async function call(server: Started, path: string, init: RequestInit = {}): Promise<Answer> {
  const res = await fetch(`http://127.0.0.1:${server.port}${path}`, { ...init, signal: AbortSignal.timeout(5000) });
  return { status: res.status, retryAfter: res.headers.get("retry-after"), body: await res.text() };
}

async function signIn(server: Started): Promise<string> {
  const r = await call(server, "/api/device/login", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ username: "filler", password: PASSWORD }),
  });
  assert.is(r.status, 200, r.body);
  return (JSON.parse(r.body) as { token: string }).token;
}

const RECORDS = "/api/device/apps/equipment-inspections/records";
let saved = 0;

/** Saves an inspection record of about 2 kB; returns the answer and, for a 201, the record's id. */
async function save(server: Started, token: string): Promise<Answer & { id?: string }> {
  saved++;
  const data = {
    equipment: `Ladder ${saved}`,
    serialNumber: `L-${saved}`,
    inspectedOn: "2026-12-01",
    result: "fail",
    failureReason: "worn rung ".repeat(190),
  };
  const r = await call(server, RECORDS, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
    body: JSON.stringify({ data }),
  });
  return r.status === 201 ? { ...r, id: (JSON.parse(r.body) as { id: string }).id } : r;
}

/** Every answer of a full disk: a bounded 503 with Retry-After, and the server still answering. */
async function assertFullDiskAnswers(server: Started, token: string): Promise<void> {
  for (let i = 0; i < 5; i++) {
    const r = await save(server, token);
    assert.is(r.status, 503, r.body);
    assert.ok(r.retryAfter, "Retry-After");
  }
  assert.is((await call(server, "/healthz")).status, 200, "/healthz answers");
  assert.is((await call(server, "/health/live")).status, 200, "/health/live answers");
  const list = await call(server, `${RECORDS}?limit=5`, { headers: { authorization: `Bearer ${token}` } });
  assert.is(list.status, 200, `reads go on: ${list.body}\n${server.output().slice(-2000)}`);
}

async function signalled(server: Started, signal: NodeJS.Signals): Promise<{ code: number | null; ms: number }> {
  const start = performance.now();
  const exit = once(server.child, "exit") as Promise<[number | null]>;
  process.kill(-server.child.pid!, signal);
  const [code] = await exit;
  return { code, ms: performance.now() - start };
}

t("writes are a 503 on a full disk, the server answers, recovers, stops, and loses nothing", async () => {
  const services = await bootServices(loadConfig(env), createLogger("warn"));
  try {
    await services.users.create({
      siteId: (await services.sites.publicSite()).id,
      username: "filler",
      role: "admin",
      password: PASSWORD,
      deviceAccess: true,
    });
  } finally {
    await services.db.close();
  }

  const acknowledged: string[] = [];
  const command = [process.execPath, "bin/start.js"];
  let server = await startServer(command, { cwd: process.cwd(), env, timeoutMs: 120_000 });
  try {
    let token = await signIn(server);
    for (let i = 0; i < 3; i++) acknowledged.push((await save(server, token)).id!);

    fillDisk();
    await assertFullDiskAnswers(server, token);
    assert.match(server.output(), /"msg":"no space left on device"/);

    // Space returns: writes go on in the same process.
    rmSync(filler);
    const after = await save(server, token);
    assert.is(after.status, 201, after.body);
    acknowledged.push(after.id!);
    assert.match(server.output(), /"msg":"space for the database again"/);

    // Killed with the disk full: what was acknowledged is there after a restart.
    fillDisk();
    assert.is((await save(server, token)).status, 503);
    await signalled(server, "SIGKILL");
    rmSync(filler);
    server = await startServer(command, { cwd: process.cwd(), env, timeoutMs: 120_000 });
    token = await signIn(server);
    for (const id of acknowledged) {
      const r = await call(server, `${RECORDS}/${id}`, { headers: { authorization: `Bearer ${token}` } });
      assert.is(r.status, 200, `acknowledged record ${id}: ${r.body}`);
    }
    // The first list of an app in a process makes sure of its search indexes, a write: done here
    // with room on the disk, as any use after a start would have done it.
    assert.is(
      (await call(server, `${RECORDS}?limit=5`, { headers: { authorization: `Bearer ${token}` } })).status,
      200,
    );

    // SIGTERM on a full disk: a clean stop well within the 10 s grace.
    fillDisk();
    await assertFullDiskAnswers(server, token);
    const stopped = await signalled(server, "SIGTERM");
    assert.is(stopped.code, 0, server.output().slice(-2000));
    assert.ok(stopped.ms < 10_000, `stopped in ${Math.round(stopped.ms)} ms`);
  } finally {
    await stopServer(server.child);
  }
});

if (mounted.status === 0) t.run();
else {
  rmSync(mountPoint, { recursive: true, force: true });
  skipSuite(`mounting a tmpfs is not permitted here (run as root): ${(mounted.stderr || "").trim()}`);
}
