// Runs every uvu suite in its own process, two at a time (the machine has two
// cores): the suites are bundled first in one esbuild pass (bin/build.js,
// bundleTests), which halves what each process spends loading the engine's
// sources; TEST_LOADER=tsx runs the sources through tsx instead. Suites whose
// first line is `// @storage` run again on PostgreSQL when TEST_DATABASE_URL is set; suites whose first line is
// `// @postgres` run only there. Prints `N passed, N failed` last.
//
// A suite that cannot run here (no chromium, no nginx) says so with the line
// of test/helpers/skip.ts and is reported as skipped, never as passed; under
// CI=true a skipped suite counts as failed. A suite that runs no test at all
// without saying why is a failure.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";
import { bundleTests } from "../bin/build.js";

const root = fileURLToPath(new URL("..", import.meta.url));
// Any number of path substrings: a suite runs when its path contains one of them (all when none).
const filters = process.argv.slice(2);

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "bench" || d.name === "helpers" ? [] : findTests(p);
    return /\.test\.tsx?$/.test(d.name) ? [p] : [];
  });
}

const files = findTests(join(root, "test"))
  .sort()
  .filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
// `// @postgres`: the suite needs PostgreSQL itself (several processes share one database), so it
// runs once, on TEST_DATABASE_URL, and says it was skipped when that is not set.
const marker = (file) => readFileSync(file, "utf8").split("\n", 1)[0].trim();
const jobs = files.map((file) => ({ file, backend: marker(file) === "// @postgres" ? "pg" : "pglite" }));
if (process.env.TEST_DATABASE_URL) {
  for (const file of files) if (marker(file) === "// @storage") jobs.push({ file, backend: "pg" });
}

/** Keep in step with SKIPPED_SUITE_LINE in test/helpers/skip.ts. */
const SKIPPED_SUITE = /^suite skipped: (.*)$/m;
const ci = process.env.CI === "true";

let passed = 0;
let failed = 0;
let skippedTests = 0;
const skippedSuites = [];
const failures = [];

const viaTsx = process.env.TEST_LOADER === "tsx";
const bundleDir = join(root, ".cache", "test-bundles", String(process.pid));
const removeBundles = () => rmSync(bundleDir, { recursive: true, force: true });
let bundles = new Map();
if (!viaTsx && files.length) {
  const started = Date.now();
  bundles = await bundleTests(files, bundleDir);
  console.log(`bundled ${files.length} suite${files.length === 1 ? "" : "s"} in ${Date.now() - started} ms`);
  process.on("exit", removeBundles);
}
// Runs that were killed before they could remove their bundles (SIGKILL, a crash while bundling).
const bundlesOfRuns = dirname(bundleDir);
for (const pid of existsSync(bundlesOfRuns) ? readdirSync(bundlesOfRuns) : []) {
  if (pid !== String(process.pid) && !isAlive(Number(pid))) {
    rmSync(join(bundlesOfRuns, pid), { recursive: true, force: true });
  }
}
/** The suites' processes now running: stopped with the runner (Ctrl-C, SIGTERM). */
const running = new Set();
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
  process.on(signal, () => {
    for (const child of running) child.kill("SIGKILL");
    removeBundles();
    process.exit(code);
  });
}

/** engine/db/data-dir-lock.ts's alive(), which this file, run by plain node, cannot import. */
function isAlive(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return err.code === "EPERM";
  }
}

/**
 * CPU (user + system, seconds) of this process's children that have ended and been waited for:
 * /proc/self/stat's cutime and cstime, which count a child's own waited-for children too (a
 * suite's browser, servers and commands; not PostgreSQL's backends). Read when each suite's
 * process ends, the increase since the last read is that suite's CPU. Null off Linux.
 */
function childrenCpuSeconds() {
  try {
    const fields = readFileSync("/proc/self/stat", "utf8").split(") ")[1].split(" ");
    // cutime and cstime are fields 16 and 17 of the file, in clock ticks (100 a second on Linux).
    return (Number(fields[13]) + Number(fields[14])) / 100;
  } catch {
    return null;
  }
}
let childrenCpu = childrenCpuSeconds();
let cpuTotal = 0;
/** Suites whose processes were reaped in the same turn of the event loop: their CPU is one figure. */
let reapedTogether = [];

/**
 * The CPU of a suite's process, read in the turn after it was reaped: `{ seconds, together }`,
 * `together` > 1 when other suites' processes were reaped in the same turn (libuv reaps every
 * ended child before it reports any), and then `seconds` is theirs together. Null off Linux.
 */
function cpuWhenReaped(child) {
  return new Promise((resolve) => {
    // A process that could not start is never reaped: no figure.
    child.on("error", () => resolve(null));
    child.on("exit", () => {
      reapedTogether.push(resolve);
      if (reapedTogether.length > 1) return;
      setImmediate(() => {
        const batch = reapedTogether;
        reapedTogether = [];
        const now = childrenCpuSeconds();
        const seconds = now === null || childrenCpu === null ? null : now - childrenCpu;
        childrenCpu = now;
        if (seconds !== null) cpuTotal += seconds;
        for (const done of batch) done(seconds === null ? null : { seconds, together: batch.length });
      });
    });
  });
}

function runJob(job) {
  return new Promise((resolve) => {
    const started = Date.now();
    const args = viaTsx ? ["--import", "tsx", job.file] : ["--enable-source-maps", bundles.get(job.file)];
    const child = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, FORMGATE_TEST_BACKEND: job.backend, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    const cpuOf = cpuWhenReaped(child);
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10 * 60_000);
    child.on("close", async (code) => {
      clearTimeout(timer);
      running.delete(child);
      const name = `${relative(root, job.file)} [${job.backend}]`;
      const wall = ((Date.now() - started) / 1000).toFixed(1);
      const cpu = await cpuOf;
      const cpuText = !cpu
        ? ""
        : cpu.together > 1
          ? `, CPU ${cpu.seconds.toFixed(1)}s with the ${cpu.together - 1} other suite(s) ending at the same moment`
          : `, CPU ${cpu.seconds.toFixed(1)}s`;
      const secs = `${wall}s${cpuText}`;
      const skip = out.match(SKIPPED_SUITE);
      if (skip && code === 0) {
        skippedSuites.push(name);
        if (ci) failed++;
        console.log(`${ci ? "FAIL" : "skip"} ${name}: skipped, ${skip[1]} (${secs})`);
        resolve();
        return;
      }
      const total = Number(out.match(/Total:\s+(\d+)/)?.[1] ?? 0);
      const ok = Number(out.match(/Passed:\s+(\d+)/)?.[1] ?? 0);
      const skipped = Number(out.match(/Skipped:\s+(\d+)/)?.[1] ?? 0);
      let bad = total - ok - skipped;
      if (code !== 0 && bad === 0) bad = 1; // crashed before or after its tests
      if (total === 0 && bad === 0) {
        bad = 1;
        out += "\nThe suite ran no test and did not say why (see test/helpers/skip.ts).";
      }
      passed += ok;
      failed += bad;
      skippedTests += skipped;
      const counts = `${ok} passed, ${bad} failed${skipped ? `, ${skipped} skipped` : ""}`;
      console.log(`${bad ? "FAIL" : "ok  "} ${name}: ${counts} (${secs})`);
      if (bad) failures.push({ name, out });
      resolve();
    });
  });
}

// The suites that take a minute or more start first, so the run does not end with one worker
// busy on a long suite while the others idle (longest-first scheduling; the list is a hint and
// only changes the order, never what runs).
const LONG_SUITES = [
  /test\/faults\//,
  /test\/browser\//,
  /test\/fuzz\//,
  /test\/cli\//,
  /test\/db\/(pglite-template|db)\.test/,
  /authorization-matrix/,
  /rollout/,
];
const long = (job) => LONG_SUITES.some((re) => re.test(relative(root, job.file)));
const queue = [...jobs.filter(long), ...jobs.filter((j) => !long(j))];
const workers = Array.from({ length: Math.min(Math.max(availableParallelism(), 2), 3) }, async () => {
  while (queue.length) await runJob(queue.shift());
});
await Promise.all(workers);

for (const f of failures) {
  console.log(`\n===== ${f.name} =====\n${f.out.slice(-6000)}`);
}
const ran = jobs.length - skippedSuites.length;
let totals = `\n${jobs.length} suite${jobs.length === 1 ? "" : "s"}: ${ran} ran, ${skippedSuites.length} skipped`;
if (skippedTests) totals += `; ${skippedTests} tests skipped inside suites`;
if (childrenCpu !== null) totals += `; the suites' processes used ${Math.round(cpuTotal)} s of CPU`;
if (skippedSuites.length) {
  totals += ` (${skippedSuites.join(", ")})`;
  if (ci) totals += ": CI=true requires every suite to run, so each skipped suite counts as failed";
}
console.log(totals);
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed || ran === 0 ? 1 : 0);
