// What the Node adapter costs: the same small JSON POST (the shape of a TOTP step's request, no
// database) answered by plain node:http, by a Hono route on @hono/node-server with its defaults
// (its lightweight Request; the engine serves this way), and by the same with overrideGlobalObjects
// off (a full undici Request per request), each in a process of its own (test/bench/servers/bare-routes.mjs).
// Requests per second and the server's CPU per request, medians of interleaved rounds.
//
//   npx tsx test/bench/adapter-bench.ts [--seconds 4] [--rounds 3] [--clients 16]
import { Agent, request } from "node:http";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { median, processCpuMs, startServer, stopServer, type Started } from "../helpers/server-process.js";

const args = process.argv.slice(2);
const arg = (name: string, fallback: number) => {
  const i = args.indexOf(name);
  return i === -1 ? fallback : Number(args[i + 1]);
};
const SECONDS = arg("--seconds", 4);
const ROUNDS = arg("--rounds", 3);
const CLIENTS = arg("--clients", 16);
const root = fileURLToPath(new URL("../../", import.meta.url));
const MODES = {
  node: "bare node:http",
  hono: "Hono on @hono/node-server (defaults, as the engine)",
  "hono-undici": "the same, overrideGlobalObjects off",
} as const;
type Mode = keyof typeof MODES;

/** POST /echo for SECONDS over CLIENTS keep-alive connections: requests per second. */
async function load(port: number): Promise<number> {
  const agent = new Agent({ keepAlive: true, maxSockets: CLIENTS });
  const body = JSON.stringify({ userId: "0b6f7a52-6f1e-4c0e-9d59-0f3c1d2f1a11", code: "123456" });
  const one = () =>
    new Promise<void>((resolve, reject) => {
      const req = request(
        {
          host: "127.0.0.1",
          port,
          method: "POST",
          path: "/echo",
          agent,
          headers: { "content-type": "application/json", "content-length": Buffer.byteLength(body) },
        },
        (res) => {
          if (res.statusCode !== 200) reject(new Error(`POST /echo: ${res.statusCode}`));
          res.resume();
          res.on("end", resolve);
        },
      );
      req.on("error", reject);
      req.end(body);
    });
  let done = 0;
  const end = performance.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: CLIENTS }, async () => {
      while (performance.now() < end) {
        await one();
        done++;
      }
    }),
  );
  agent.destroy();
  return done / SECONDS;
}

const servers = new Map<Mode, Started>();
try {
  for (const mode of Object.keys(MODES) as Mode[]) {
    servers.set(
      mode,
      await startServer([process.execPath, "test/bench/servers/bare-routes.mjs"], {
        cwd: root,
        env: { PATH: process.env.PATH, BARE: mode },
      }),
    );
  }
  const rate = new Map<Mode, number[]>();
  const cpu = new Map<Mode, number[]>();
  for (const s of servers.values()) await load(s.port); // warm-up (JIT)
  const before = loadavg()[0]!;
  for (let r = 0; r < ROUNDS; r++) {
    for (const [mode, s] of servers) {
      const c = processCpuMs(s.child.pid!);
      const perS = await load(s.port);
      const spent = processCpuMs(s.child.pid!) - c;
      rate.set(mode, [...(rate.get(mode) ?? []), perS]);
      cpu.set(mode, [...(cpu.get(mode) ?? []), spent / (perS * SECONDS)]);
    }
  }
  console.log(
    `\nthe request path, POST of a small JSON body, ${CLIENTS} clients, ${SECONDS} s each, medians of ${ROUNDS} interleaved rounds ` +
      `(load average ${before.toFixed(2)} → ${loadavg()[0]!.toFixed(2)})`,
  );
  console.log(`  ${"".padEnd(52)} ${"per s".padStart(8)} ${"CPU each".padStart(10)} ${"vs node:http".padStart(13)}`);
  const base = median(rate.get("node")!);
  for (const mode of Object.keys(MODES) as Mode[]) {
    const x = median(rate.get(mode)!);
    console.log(
      `  ${MODES[mode].padEnd(52)} ${x.toFixed(0).padStart(8)} ${`${(median(cpu.get(mode)!) * 1000).toFixed(0)} µs`.padStart(10)} ${(x / base).toFixed(2).padStart(13)}`,
    );
  }
} finally {
  for (const s of servers.values()) await stopServer(s.child);
}
