// Start-up benchmark: milliseconds from spawning the server to its first `/healthz` 200.
//   - `npm start` and `node dist/main.js`, each on PGlite with an empty DATA_DIR (first start),
//     again on that DATA_DIR (second start), and on an already-migrated PostgreSQL database
//     (with TEST_DATABASE_URL; the benchmark creates and drops a database of its own);
//   - beside a hello-world @hono/node-server started with plain `node` (test/bench/servers/hello.mjs).
// Every round starts each variant once (interleaved: load from other work comes and goes), and the
// table shows medians and the ratio to the hello-world start (median of the rounds' ratios).
//
//   [TEST_DATABASE_URL=postgres://…] npx tsx test/bench/startup-bench.ts [--rounds N] [--root DIR] [--compare DIR]
//
// --root measures another checkout of Formgate instead of this one; --compare adds the variants of a
// second checkout (e.g. an older commit with `npm ci` done) to the same rounds, for before and after
// side by side. `node dist/main.js` is left out where a checkout has no build.
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join, resolve } from "node:path";
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
const roots = [resolve(arg("--root") ?? here), ...(arg("--compare") ? [resolve(arg("--compare")!)] : [])];
const hello = fileURLToPath(new URL("./servers/hello.mjs", import.meta.url));
const SECRET_KEY = Buffer.alloc(32, 9).toString("base64");

interface Variant {
  label: string;
  command: string[];
  cwd: string;
  /** A fresh environment for one start; `after` runs once the server has stopped. */
  prepare(): { env: Record<string, string | undefined>; after?: () => void };
}

const baseEnv = { PATH: process.env.PATH, HOME: process.env.HOME, LOG_LEVEL: "warn" };

/** `npm start` and `node dist/main.js` of one checkout: PGlite first and second start, PostgreSQL. */
function checkoutVariants(cwd: string, tag: string, commands: [string, string[]][], databaseUrl?: string): Variant[] {
  const variants: Variant[] = [];
  for (const [name, command] of commands) {
    // The first start's data directory is kept for the second start of the same round.
    let dataDir = "";
    variants.push({
      label: `${tag}${name}, PGlite, first start (empty DATA_DIR)`,
      command,
      cwd,
      prepare: () => {
        dataDir = mkdtempSync(join(tmpdir(), "formgate-startup-"));
        return { env: { ...baseEnv, DATA_DIR: dataDir } };
      },
    });
    variants.push({
      label: `${tag}${name}, PGlite, second start`,
      command,
      cwd,
      prepare: () => ({ env: { ...baseEnv, DATA_DIR: dataDir }, after: () => rmSync(dataDir, { recursive: true }) }),
    });
    if (databaseUrl) {
      variants.push({
        label: `${tag}${name}, PostgreSQL (migrated)`,
        command,
        cwd,
        prepare: () => ({ env: { ...baseEnv, DATABASE_URL: databaseUrl, FORMGATE_SECRET_KEY: SECRET_KEY } }),
      });
    }
  }
  return variants;
}

async function main() {
  // One migrated database serves every checkout (they must share the migrations).
  const database = process.env.TEST_DATABASE_URL ? await createDatabase() : null;
  const variants: Variant[] = [
    {
      label: "hello-world @hono/node-server (node)",
      command: [process.execPath, hello],
      cwd: here,
      prepare: () => ({ env: baseEnv }),
    },
  ];
  for (const root of roots) {
    // Build first (where a checkout has a build step), so no measured start pays for it.
    if (existsSync(join(root, "bin/build.js"))) {
      const r = spawnSync(process.execPath, ["bin/build.js"], { cwd: root, stdio: "inherit" });
      if (r.status !== 0) throw new Error(`the build in ${root} failed`);
    }
    const commands: [string, string[]][] = [["npm start", ["npm", "start", "--silent"]]];
    if (existsSync(join(root, "dist/main.js")))
      commands.push(["node dist/main.js", [process.execPath, "dist/main.js"]]);
    const tag = roots.length > 1 ? `${basename(root)}: ` : "";
    variants.push(...checkoutVariants(root, tag, commands, database?.url));
  }

  const times = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  const cpu = new Map<Variant, number[]>(variants.map((v) => [v, []]));
  try {
    // Round 0 warms the file cache (and migrates the PostgreSQL database); it is not counted.
    for (let round = 0; round <= ROUNDS; round++) {
      for (const v of variants) {
        const { env, after } = v.prepare();
        const s = await startServer(v.command, { cwd: v.cwd, env });
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

  const helloTimes = times.get(variants[0]!)!;
  console.log(`\nstart-up to the first /healthz 200 (${roots.join(", ")}), medians of ${ROUNDS} interleaved rounds`);
  const width = Math.max(...variants.map((v) => v.label.length));
  const col = (x: number) => `${x.toFixed(0)} ms`.padStart(9);
  console.log(
    `  ${"".padEnd(width)} ${"median".padStart(9)} ${"min".padStart(9)} ${"max".padStart(9)}  ${"ratio".padStart(6)}  ${"CPU".padStart(9)}`,
  );
  for (const v of variants) {
    const t = times.get(v)!;
    const m = median(t);
    console.log(
      `  ${v.label.padEnd(width)} ${col(m)} ${col(Math.min(...t))} ${col(Math.max(...t))}  ${`${median(t.map((x, i) => x / helloTimes[i]!)).toFixed(1)}×`.padStart(6)}  ${col(median(cpu.get(v)!))}`,
    );
  }
  console.log(
    "  (ratio: the median of each round's time over that round's hello world; CPU: the process group's user + system time by then)",
  );
}

await main();
