// Start-up benchmark: milliseconds from spawning the server to its first `/healthz` 200.
//   - `npm start` and `node dist/main.js`, each on PGlite with an empty DATA_DIR (first start),
//     again on that DATA_DIR (second start), and on an already-migrated PostgreSQL database
//     (with TEST_DATABASE_URL; the benchmark creates and drops a database of its own);
//   - beside a hello-world @hono/node-server started with plain `node` (test/bench/servers/hello.mjs).
// Every round starts each variant once (interleaved: load from other work comes and goes), and the
// table shows medians and each median's ratio to the hello-world start.
//
//   [TEST_DATABASE_URL=postgres://…] npx tsx test/bench/startup-bench.ts [--rounds N] [--root DIR]
//
// --root measures another checkout of Formgate (e.g. an older commit, to compare before and after);
// `node dist/main.js` is left out where that checkout has no build.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { createDatabase } from "../helpers/db.js";
import { median, startServer, stopServer } from "../helpers/server-process.js";

const args = process.argv.slice(2);
const arg = (name: string) => {
  const i = args.indexOf(name);
  return i === -1 ? undefined : args[i + 1];
};
const ROUNDS = Number(arg("--rounds") ?? 5);
const here = fileURLToPath(new URL("../../", import.meta.url));
const root = resolve(arg("--root") ?? here);
const hello = fileURLToPath(new URL("./servers/hello.mjs", import.meta.url));
const SECRET_KEY = Buffer.alloc(32, 9).toString("base64");

interface Variant {
  label: string;
  command: string[];
  /** A fresh environment for one start; `after` runs once the server has stopped. */
  prepare(): { env: Record<string, string | undefined>; after?: () => void };
}

const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn" };

async function main() {
  // Build first (where this checkout has a build step), so no measured start pays for it.
  if (existsSync(join(root, "bin/build.js"))) {
    const r = spawnSync(process.execPath, ["bin/build.js"], { cwd: root, stdio: "inherit" });
    if (r.status !== 0) throw new Error("build failed");
  }
  const built = existsSync(join(root, "dist/main.js"));
  const database = process.env.TEST_DATABASE_URL ? await createDatabase() : null;

  const commands: [string, string[]][] = [["npm start", ["npm", "start", "--silent"]]];
  if (built) commands.push(["node dist/main.js", [process.execPath, "dist/main.js"]]);

  const variants: Variant[] = [
    {
      label: "hello-world @hono/node-server (node)",
      command: [process.execPath, hello],
      prepare: () => ({ env: baseEnv }),
    },
  ];
  for (const [name, command] of commands) {
    // The first start's data directory is kept for the second start of the same round.
    let dataDir = "";
    variants.push({
      label: `${name}, PGlite, first start (empty DATA_DIR)`,
      command,
      prepare: () => {
        dataDir = mkdtempSync(join(tmpdir(), "formgate-startup-"));
        return { env: { ...baseEnv, DATA_DIR: dataDir } };
      },
    });
    variants.push({
      label: `${name}, PGlite, second start`,
      command,
      prepare: () => ({ env: { ...baseEnv, DATA_DIR: dataDir }, after: () => rmSync(dataDir, { recursive: true }) }),
    });
    if (database) {
      variants.push({
        label: `${name}, PostgreSQL (migrated)`,
        command,
        prepare: () => ({ env: { ...baseEnv, DATABASE_URL: database.url, FORMGATE_SECRET_KEY: SECRET_KEY } }),
      });
    }
  }

  const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const cpu = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  try {
    // Round 0 warms the file cache (and migrates the PostgreSQL database); it is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const v of variants) {
        const { env, after } = v.prepare();
        const s = await startServer(v.command, { cwd: root, env });
        await stopServer(s.child);
        after?.();
        if (round > 0) times.get(v)!.push(s.ms);
        if (round > 0) cpu.get(v)!.push(s.cpuMs);
      }
      if (round > 0) process.stderr.write(`round ${round} of ${ROUNDS} done\n`);
    }
  } finally {
    await database?.drop();
  }

  const helloMs = median(times.get(variants[0]!)!);
  console.log(`\nstart-up to the first /healthz 200 in ${root}, medians of ${ROUNDS} interleaved rounds`);
  const col = (x: number) => `${x.toFixed(0)} ms`.padStart(9);
  console.log(
    `  ${"".padEnd(52)} ${"median".padStart(9)} ${"min".padStart(9)} ${"max".padStart(9)}  ${"ratio".padStart(6)}  ${"CPU".padStart(9)}`,
  );
  for (const v of variants) {
    const t = times.get(v)!;
    const m = median(t);
    console.log(
      `  ${v.label.padEnd(52)} ${col(m)} ${col(Math.min(...t))} ${col(Math.max(...t))}  ${`${(m / helloMs).toFixed(1)}×`.padStart(6)}  ${col(median(cpu.get(v)!))}`,
    );
  }
  console.log(`  (ratio: median / hello world's median; CPU: median user + system time of the process group by then)`);
}

await main();
