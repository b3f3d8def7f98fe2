// The sign-in benchmark's Argon2id figure (issue 26) rests on threadPoolCpuMs telling a Node
// process's libuv pool threads from its other threads: a child that verifies passwords spends its
// CPU there, one that only computes on its main thread does not.
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { processCpuMs, threadPoolCpuMs } from "../helpers/server-process.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
const t = suite("libuv pool CPU");

/**
 * Starts a Node child running `work` (an ES module's text), waits until it prints "done", reads
 * its CPU (all threads, pool threads) while it still lives, then ends it.
 */
async function cpuOf(work: string): Promise<{ all: number; pool: number }> {
  const child = spawn(
    process.execPath,
    ["--input-type=module", "-e", `${work}\nconsole.log("done");\nsetInterval(() => {}, 1000);`],
    {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  try {
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (d: Buffer) => d.toString().includes("done") && resolve());
      child.on("exit", (code) => reject(new Error(`child exited with ${code}`)));
    });
    return { all: processCpuMs(child.pid!), pool: threadPoolCpuMs(child.pid!) };
  } finally {
    child.kill();
  }
}

t("Argon2id verifications run on the pool threads", async () => {
  const { all, pool } = await cpuOf(`
    import { hash, verify } from "@node-rs/argon2";
    const h = await hash("correct horse battery staple");
    await Promise.all(Array.from({ length: 16 }, () => verify(h, "correct horse battery staple")));`);
  assert.ok(pool > 100, `pool ${pool.toFixed(0)} ms`);
  assert.ok(pool / all > 0.6, `pool ${pool.toFixed(0)} of ${all.toFixed(0)} ms`);
});

t("work on the main thread is not counted as the pool's", async () => {
  const { all, pool } = await cpuOf(`
    import { createHash } from "node:crypto";
    await import("node:fs/promises").then((fs) => fs.readFile("package.json"));
    let h = Buffer.alloc(32);
    for (let i = 0; i < 300_000; i++) h = createHash("sha256").update(h).digest();`);
  assert.ok(all > 100, `all ${all.toFixed(0)} ms`);
  assert.ok(pool / all < 0.05, `pool ${pool.toFixed(1)} of ${all.toFixed(0)} ms`);
});

t.run();
