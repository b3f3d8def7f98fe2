// Runs every uvu suite in its own process through tsx, two at a time (the
// machine has two cores). Suites whose first line is `// @storage` run again on
// PostgreSQL when TEST_DATABASE_URL is set. Prints `N passed, N failed` last.
import { spawn } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { availableParallelism } from "node:os";

const root = fileURLToPath(new URL("..", import.meta.url));
const filter = process.argv[2];

function findTests(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return d.name === "bench" || d.name === "helpers" ? [] : findTests(p);
    return /\.test\.tsx?$/.test(d.name) ? [p] : [];
  });
}

const files = findTests(join(root, "test"))
  .sort()
  .filter((f) => !filter || f.includes(filter));
const jobs = files.map((file) => ({ file, backend: "pglite" }));
if (process.env.TEST_DATABASE_URL) {
  for (const file of files) {
    if (readFileSync(file, "utf8").startsWith("// @storage")) jobs.push({ file, backend: "pg" });
  }
}

let passed = 0;
let failed = 0;
const failures = [];

function runJob(job) {
  return new Promise((resolve) => {
    const started = Date.now();
    const child = spawn(process.execPath, ["--import", "tsx", job.file], {
      cwd: root,
      env: { ...process.env, FORMGATE_TEST_BACKEND: job.backend, FORCE_COLOR: "0" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (out += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 10 * 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      const total = Number(out.match(/Total:\s+(\d+)/)?.[1] ?? 0);
      const ok = Number(out.match(/Passed:\s+(\d+)/)?.[1] ?? 0);
      const skipped = Number(out.match(/Skipped:\s+(\d+)/)?.[1] ?? 0);
      let bad = total - ok - skipped;
      if (code !== 0 && bad === 0) bad = 1; // crashed before or after its tests
      passed += ok;
      failed += bad;
      const name = `${relative(root, job.file)} [${job.backend}]`;
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      console.log(`${bad ? "FAIL" : "ok  "} ${name}: ${ok} passed, ${bad} failed (${secs}s)`);
      if (bad) failures.push({ name, out });
      resolve();
    });
  });
}

const queue = [...jobs];
const workers = Array.from({ length: Math.min(Math.max(availableParallelism(), 2), 3) }, async () => {
  while (queue.length) await runJob(queue.shift());
});
await Promise.all(workers);

for (const f of failures) {
  console.log(`\n===== ${f.name} =====\n${f.out.slice(-6000)}`);
}
console.log(`\n${passed} passed, ${failed} failed`);
process.exit(failed || jobs.length === 0 ? 1 : 0);
