// A process racing for a data directory's lock (test/cli/data-dir-lock.test.ts): says "ready", waits
// for the go file, tries once, prints "won" or "lost", and holds a won lock until stdin closes.
import { existsSync } from "node:fs";
import { lockDataDir } from "../../engine/db/data-dir-lock.js";

const [dir, go] = process.argv.slice(2) as [string, string];
console.log("ready");
while (!existsSync(go)) await new Promise((r) => setTimeout(r, 2));
try {
  lockDataDir(dir, "racer");
  console.log("won");
  process.stdin.resume();
  process.stdin.on("end", () => process.exit(0));
} catch {
  console.log("lost");
  process.exit(0);
}
