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
 * Starts a Node child that runs `setup`, then (told on its stdin) `work` (ES module texts), and
 * returns the CPU its threads spent on the work alone (all threads, pool threads): its start and
 * module loading, on the main thread, are not part of it.
 */
async function cpuOf(setup: string, work: string): Promise<{ all: number; pool: number }> {
  const script = `${setup}
    console.log("ready");
    await new Promise((resolve) => process.stdin.once("data", resolve));
    ${work}
    console.log("done");
    setInterval(() => {}, 1000);`;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], {
    cwd: root,
    stdio: ["pipe", "pipe", "inherit"],
  });
  const said = (word: string) =>
    new Promise<void>((resolve, reject) => {
      const listen = (d: Buffer) => {
        if (!d.toString().includes(word)) return;
        child.stdout.off("data", listen);
        resolve();
      };
      child.stdout.on("data", listen);
      child.once("exit", (code) => reject(new Error(`child exited with ${code}`)));
    });
  try {
    await said("ready");
    const before = { all: processCpuMs(child.pid!), pool: threadPoolCpuMs(child.pid!) };
    const done = said("done");
    child.stdin.write("go\n");
    await done;
    return {
      all: processCpuMs(child.pid!) - before.all,
      pool: threadPoolCpuMs(child.pid!) - before.pool,
    };
  } finally {
    child.kill();
  }
}

t("Argon2id verifications run on the pool threads", async () => {
  const { all, pool } = await cpuOf(
    `import { hash, verify } from "@node-rs/argon2";
     const h = await hash("correct horse battery staple");`,
    `await Promise.all(Array.from({ length: 16 }, () => verify(h, "correct horse battery staple")));`,
  );
  assert.ok(pool > 100, `pool ${pool.toFixed(0)} ms`);
  assert.ok(pool / all > 0.7, `pool ${pool.toFixed(0)} of ${all.toFixed(0)} ms`);
});

t("work on the main thread is not counted as the pool's", async () => {
  const { all, pool } = await cpuOf(
    `import { createHash } from "node:crypto";
     import { readFile } from "node:fs/promises";
     await readFile("package.json"); // the pool starts`,
    `let h = Buffer.alloc(32);
     for (let i = 0; i < 300_000; i++) h = createHash("sha256").update(h).digest();`,
  );
  assert.ok(all > 100, `all ${all.toFixed(0)} ms`);
  assert.ok(pool / all < 0.05, `pool ${pool.toFixed(1)} of ${all.toFixed(0)} ms`);
});

t.run();
