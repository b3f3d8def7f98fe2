// PGlite is single-process: a CLI command on the data directory of a running server must refuse,
// never write to a copy the server does not see (and overwrites when it stops).
import { spawn, spawnSync } from "node:child_process";
import { once } from "node:events";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startServer, stopServer } from "../helpers/server-process.js";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import { DataDirInUseError, LOCK_FILE, lockDataDir } from "../../engine/db/data-dir-lock.js";

const t = suite("data directory lock");
const scratch = mkdtempSync(join(tmpdir(), "formgate-lock-"));
t.after(() => rmSync(scratch, { recursive: true, force: true }));

const dataDir = join(scratch, "data");
const env = {
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  LOG_LEVEL: "warn",
  DATA_DIR: dataDir,
  FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
};

function formgate(args: string[], extra: Record<string, string> = {}) {
  const r = spawnSync(process.execPath, ["bin/formgate.js", ...args], {
    env: { ...env, FORMGATE_PASSWORD: "a long enough password", ...extra },
    encoding: "utf8",
    timeout: 120_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

/** The PID of a process that has exited: a lock naming it is stale. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ["-e", "process.stdout.write(String(process.pid))"], { encoding: "utf8" });
  return Number(r.stdout);
}

t("a CLI command refuses the data directory of a running server, then works once it stops", async () => {
  const server = await startServer([process.execPath, "bin/start.js"], { cwd: process.cwd(), env, timeoutMs: 180_000 });
  try {
    const lock = JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8"));
    assert.is(lock.by, "the Formgate server");

    const refused = formgate(["user", "create", "nora"]);
    assert.is(refused.code, 1, refused.out);
    assert.is(
      refused.err.trim(),
      `formgate: the data directory ${dataDir} is in use by process ${lock.pid} (the Formgate server): ` +
        "stop it first, or use PostgreSQL (DATABASE_URL) to run commands beside a running server",
    );
    const mfa = formgate(["mfa", "reset", "nora"]);
    assert.is(mfa.code, 1);
    assert.match(mfa.err, /in use by process \d+ \(the Formgate server\)/);
    // The server still owns its lock and still answers.
    assert.is(JSON.parse(readFileSync(join(dataDir, LOCK_FILE), "utf8")).pid, lock.pid);
    assert.is((await fetch(`http://127.0.0.1:${server.port}/healthz`)).status, 200);
  } finally {
    await stopServer(server.child);
  }
  assert.not.ok(existsSync(join(dataDir, LOCK_FILE)), "a clean shutdown removes the lock");

  // Nothing was changed by the refused commands; now the command runs.
  const missing = formgate(["mfa", "status", "nora"]);
  assert.is(missing.code, 1);
  assert.match(missing.err, /no user "nora"/);
  const created = formgate(["user", "create", "nora"]);
  assert.is(created.code, 0, created.err);
  assert.match(created.out, /created user nora on public/);
  assert.not.ok(existsSync(join(dataDir, LOCK_FILE)), "the command released the lock");
});

t("a lock left by a dead process is taken over", () => {
  const pid = deadPid();
  writeFileSync(join(dataDir, LOCK_FILE), JSON.stringify({ pid, by: "the Formgate server" }));
  const status = formgate(["mfa", "status", "nora"]);
  assert.is(status.code, 0, status.err);
  assert.match(status.out, /user: +nora/);
  assert.not.ok(existsSync(join(dataDir, LOCK_FILE)));
});

t("processes racing for one stale lock: exactly one wins", async () => {
  const dir = mkdtempSync(join(scratch, "race-"));
  const go = join(dir, "go");
  writeFileSync(join(dir, LOCK_FILE), JSON.stringify({ pid: deadPid(), by: "the Formgate server" }));
  const racers = Array.from({ length: 4 }, () => {
    const child = spawn(process.execPath, ["--import", "tsx", "test/cli/lock-child.ts", dir, go], {
      stdio: ["pipe", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    const said = async (word: string) => {
      while (!out.includes(word) && child.exitCode === null) await new Promise((r) => setTimeout(r, 5));
      return out;
    };
    return { child, said, out: () => out };
  });
  for (const r of racers) await r.said("ready");
  writeFileSync(go, "");
  // Every racer answers: the losers exit, the winner holds the lock until its stdin closes.
  while (racers.some((r) => !/won|lost/.test(r.out()) && r.child.exitCode === null)) {
    await new Promise((res) => setTimeout(res, 5));
  }
  const won = racers.filter((r) => r.out().includes("won"));
  assert.is(won.length, 1, racers.map((r) => r.out().trim().replace(/\n/g, " ")).join(" / "));
  for (const r of racers) r.child.stdin.end();
  await Promise.all(racers.filter((r) => r.child.exitCode === null).map((r) => once(r.child, "exit")));
  assert.not.ok(existsSync(join(dir, LOCK_FILE)), "the winner released it on exit");
});

t("the lock is exclusive within a process too, and released once", () => {
  const dir = mkdtempSync(join(scratch, "in-process-"));
  const release = lockDataDir(dir, "first");
  assert.throws(
    () => lockDataDir(dir, "second"),
    (err: unknown) => err instanceof DataDirInUseError,
  );
  release();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
  const again = lockDataDir(dir, "third");
  release(); // the first holder's release must not remove the third's lock
  assert.ok(existsSync(join(dir, LOCK_FILE)));
  again();
  assert.not.ok(existsSync(join(dir, LOCK_FILE)));
});

t.run();
