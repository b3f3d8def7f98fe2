// `npm run bench [-- NAME… [--FLAG VALUE…]]`: runs the benchmarks one after another (or those whose file name
// contains a NAME), each in a process of its own, bundled first as the server is (bin/build.js,
// bundleBenchmark: what they measure of the engine is the code `npm start` runs, not tsx's
// transform of it). They print numbers and assert nothing; most need TEST_DATABASE_URL (a
// PostgreSQL server they may create databases on).
import { spawnSync } from "node:child_process";
import { rmSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { bundleBenchmark } from "../../bin/build.js";

const ORDER = [
  "startup-bench.ts",
  "render-bench.ts",
  "sign-in-bench.ts",
  "code-step-bench.ts",
  "adapter-bench.ts",
  "records-bench.ts",
  "users-list-bench.ts",
  "device-records-bench.ts",
  "token-import-bench.ts",
  "rollout-bench.ts",
  "mail-bench.ts",
  "designer-check-bench.ts",
];
// Names first; from the first `--flag` on, the arguments go to each benchmark (`-- sign-in --users 600`).
const argv = process.argv.slice(2);
const firstFlag = argv.findIndex((a) => a.startsWith("--"));
const names = firstFlag === -1 ? argv : argv.slice(0, firstFlag);
const passed = firstFlag === -1 ? [] : argv.slice(firstFlag);
const root = fileURLToPath(new URL("../..", import.meta.url));
const chosen = ORDER.filter((f) => !names.length || names.some((n) => f.includes(n)));
if (!chosen.length) {
  console.error(`no benchmark matches ${names.join(", ")}; there are ${ORDER.join(", ")}`);
  process.exit(2);
}
// Ctrl-C (or a SIGTERM to the process group) ends the benchmark; this process, which ignores the
// signal meanwhile, removes the bundle and stops with it.
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => {});
for (const file of chosen) {
  console.log(`\n=== test/bench/${file}`);
  const bundle = await bundleBenchmark(`test/bench/${file}`);
  let r;
  try {
    r = spawnSync(process.execPath, [bundle, ...passed], { cwd: root, stdio: "inherit" });
  } finally {
    rmSync(bundle, { force: true });
  }
  if (r.signal) process.exit(130);
  if (r.status !== 0) process.exit(r.status ?? 1);
}
