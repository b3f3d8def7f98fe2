// A server in a process of its own, for start-up tests and benchmarks: spawn it, wait for the
// first `/healthz` 200, stop the whole process group and wait until every process of it is gone.
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { readdirSync, readFileSync } from "node:fs";
import { request } from "node:http";
import { createServer } from "node:net";

/** A TCP port that was free a moment ago. */
export async function freePort(): Promise<number> {
  const srv = createServer();
  srv.listen(0, "127.0.0.1");
  await once(srv, "listening");
  const port = (srv.address() as { port: number }).port;
  srv.close();
  await once(srv, "close");
  return port;
}

function healthz(port: number): Promise<number> {
  return new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/healthz", agent: false }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", () => resolve(0));
    req.end();
  });
}

/** Process groups started here and not stopped yet: ended when this process ends, Ctrl-C included. */
const running = new Set<number>();
let hooked = false;

/**
 * Remembers the process group `pgid` until stopServer, and the first time hooks this process's end:
 * a server spawned in a group of its own gets no Ctrl-C from the terminal, so without this an
 * interrupted benchmark left its servers (and their PostgreSQL connections) running.
 */
export function endWithThisProcess(pgid: number): void {
  if (!hooked) {
    hooked = true;
    process.on("exit", () => {
      for (const group of running) {
        try {
          process.kill(-group, "SIGTERM");
        } catch {
          // gone already
        }
      }
    });
    // A listener replaces Node's own exit on these signals: exit as it would, so "exit" runs.
    process.once("SIGINT", () => process.exit(130));
    process.once("SIGTERM", () => process.exit(143));
  }
  running.add(pgid);
}

export interface Started {
  child: ChildProcess;
  port: number;
  /** Milliseconds from spawn to the first /healthz 200. */
  ms: number;
  /** CPU milliseconds (user + system) the process group had used by then: steadier than `ms` on a busy machine. */
  cpuMs: number;
  output: () => string;
}

/**
 * Spawns `command` in a process group of its own with PORT set and polls
 * /healthz every 5 ms until it answers 200. Throws with the process's output
 * when it exits first or takes longer than `timeoutMs`.
 */
export async function startServer(
  command: string[],
  options: { cwd: string; env: Record<string, string | undefined>; timeoutMs?: number },
): Promise<Started> {
  const port = await freePort();
  let out = "";
  const start = performance.now();
  const child = spawn(command[0]!, command.slice(1), {
    cwd: options.cwd,
    env: { ...options.env, PORT: String(port) },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  endWithThisProcess(child.pid!);
  child.stdout.on("data", (d) => (out += d));
  child.stderr.on("data", (d) => (out += d));
  let exited = false;
  child.on("exit", () => (exited = true));
  const deadline = start + (options.timeoutMs ?? 60_000);
  for (;;) {
    if ((await healthz(port)) === 200) {
      const ms = performance.now() - start;
      return { child, port, ms, cpuMs: groupCpuMs(child.pid!), output: () => out };
    }
    if (exited || performance.now() > deadline) {
      await stopServer(child);
      throw new Error(`${command.join(" ")} did not answer /healthz:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** /proc/PID/stat after the command name: fields[0] is the state, [2] the process group, [11] and [12] utime and stime. */
function statFields(pid: number | string): string[] | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  } catch {
    return null; // gone meanwhile
  }
}

/**
 * CPU milliseconds (user + system) used by this process's main thread alone (not its worker
 * threads), from /proc/PID/task/PID/schedstat.
 */
export function mainThreadCpuMs(): number {
  return taskCpuMs(`${process.pid}/task/${process.pid}`) ?? 0;
}

/** The live (not zombie) processes of a process group, from /proc (Linux). */
function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    const fields = statFields(name);
    if (fields && Number(fields[2]) === pgid && fields[0] !== "Z") out.push(Number(name));
  }
  return out;
}

/**
 * CPU milliseconds one thread has run, from /proc/PID/task/TID/schedstat (its first field is the
 * run time in nanoseconds): /proc/PID/stat counts in clock ticks of 10 ms, too coarse for a
 * measurement of a few thousand sub-millisecond statements. null when the thread is gone.
 */
function taskCpuMs(task: string): number | null {
  try {
    return Number(readFileSync(`/proc/${task}/schedstat`, "utf8").split(" ")[0]) / 1e6;
  } catch {
    return null;
  }
}

/**
 * CPU milliseconds (user + system) used by one process: the sum over its live threads (Node's
 * threads are a fixed pool, so none of the time is lost with a thread that ended; a PostgreSQL
 * backend has one thread). 0 when the process is gone.
 */
export function processCpuMs(pid: number): number {
  return threadsCpuMs(pid, threadIds(pid));
}

/** CPU milliseconds of some of a process's threads (a thread gone meanwhile counts 0). */
function threadsCpuMs(pid: number, tids: number[]): number {
  return tids.reduce((sum, tid) => sum + (taskCpuMs(`${pid}/task/${tid}`) ?? 0), 0);
}

/**
 * The ids of a process's threads, ascending (Linux: /proc/PID/task); empty when it is gone. The
 * sign-in benchmark compares them before and after its rounds: threadPoolCpuMs holds only while no
 * thread was started after the libuv pool.
 */
export function threadIds(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`)
      .map(Number)
      .sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The libuv pool's size of a running process: UV_THREADPOOL_SIZE from its environment, else libuv's 4. */
function threadPoolSize(pid: number): number {
  try {
    const env = readFileSync(`/proc/${pid}/environ`, "utf8").split("\0");
    const size = Number(env.find((e) => e.startsWith("UV_THREADPOOL_SIZE="))?.slice(19));
    return Number.isInteger(size) && size > 0 ? size : 4;
  } catch {
    return 4;
  }
}

/**
 * CPU milliseconds (user + system) of a Node process's libuv thread pool: its newest threads, as
 * many as its UV_THREADPOOL_SIZE (4 unless set in that process's environment). libuv starts the
 * whole pool at once on the first work queued to it, after V8's platform threads, and the engine
 * starts no thread after that (no worker; the inspector's thread only on SIGUSR1), so the pool is
 * the threads with the highest ids. @node-rs/argon2 verifies there (napi async work), which is how
 * the sign-in benchmark measures Argon2id's CPU where it runs instead of subtracting a verification
 * timed alone: under load one costs more. A thread started later (a Worker) would be counted as the
 * pool's, so the benchmark checks threadIds before and after; it also prints the pool's CPU during
 * the TOTP step (no Argon2id there) to show that the pool does nothing else on these paths.
 */
export function threadPoolCpuMs(pid: number): number {
  // A process with fewer threads than the pool's size: never its main thread.
  const pool = threadIds(pid)
    .slice(-threadPoolSize(pid))
    .filter((tid) => tid !== pid);
  return threadsCpuMs(pid, pool);
}

/** CPU milliseconds used by the live processes of a group. */
function groupCpuMs(pgid: number): number {
  return groupMembers(pgid).reduce((sum, pid) => sum + processCpuMs(pid), 0);
}

/**
 * SIGTERM to the whole group (npm, its shell and the server), then waits until
 * every member has exited, so the next start finds the data directory closed.
 */
export async function stopServer(child: ChildProcess): Promise<void> {
  const pgid = child.pid!;
  running.delete(pgid); // stopped by its owner: no longer ended with this process
  try {
    process.kill(-pgid, "SIGTERM");
  } catch {
    return;
  }
  const deadline = performance.now() + 15_000;
  while (groupMembers(pgid).length) {
    if (performance.now() > deadline) {
      process.kill(-pgid, "SIGKILL");
      break;
    }
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** The median (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}
