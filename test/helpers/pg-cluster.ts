// A PostgreSQL cluster of a test's own (initdb + pg_ctl in a temporary directory, as the postgres
// user when run as root, since initdb refuses root) and `formgate` started against it in a process of
// its own: test/db/outage.test.ts stops and starts it, test/db/stall.test.ts freezes it.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { TEST_SECRET_KEY } from "./app.js";

const root = fileURLToPath(new URL("../../", import.meta.url));
/** The password of the first administrator, "alice", of a server startServer started. */
export const PASSWORD = "correct horse battery staple";

/** The newest PostgreSQL server binaries Debian installed, or null. */
export function serverBinaries(): string | null {
  const base = "/usr/lib/postgresql";
  if (!existsSync(base)) return null;
  for (const version of readdirSync(base).sort((a, b) => Number(b) - Number(a))) {
    const bin = join(base, version, "bin");
    if (existsSync(join(bin, "initdb")) && existsSync(join(bin, "pg_ctl"))) return bin;
  }
  return null;
}

export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A throwaway cluster: initdb once, then start and stop at will. */
export class Cluster {
  readonly dir = mkdtempSync(join(tmpdir(), "formgate-outage-"));
  readonly asRoot = process.getuid?.() === 0;

  constructor(
    private readonly bin: string,
    readonly port: number,
  ) {
    // initdb refuses to run as root: the cluster belongs to the postgres user then.
    if (this.asRoot) {
      chmodSync(this.dir, 0o755);
      execFileSync("chown", ["postgres:postgres", this.dir]);
    }
    this.run("initdb", ["-D", this.data, "-U", "postgres", "-A", "trust", "--no-sync", "-E", "UTF8"]);
  }

  get data() {
    return join(this.dir, "data");
  }

  run(tool: string, args: string[]) {
    const cmd = join(this.bin, tool);
    if (this.asRoot) execFileSync("runuser", ["-u", "postgres", "--", cmd, ...args], { stdio: "pipe" });
    else execFileSync(cmd, args, { stdio: "pipe" });
  }

  /** `settings`: more `-c name=value` server settings for this start. */
  start(settings: string[] = []) {
    const options = [`-p ${this.port} -c listen_addresses=127.0.0.1 -k ${this.dir} -c fsync=off`]
      .concat(settings.map((s) => `-c ${s}`))
      .join(" ");
    this.run("pg_ctl", ["-D", this.data, "-o", options, "-l", join(this.dir, "server.log"), "-w", "start"]);
  }

  stop(mode: "fast" | "immediate" = "fast") {
    this.run("pg_ctl", ["-D", this.data, "-m", mode, "-w", "stop"]);
  }

  /** The postmaster and every backend of the cluster (they are its children). */
  processes(): number[] {
    const postmaster = Number(readFileSync(join(this.data, "postmaster.pid"), "utf8").split("\n")[0]);
    const children = readdirSync("/proc")
      .filter((d) => /^\d+$/.test(d))
      .filter((d) => {
        try {
          // /proc/PID/stat: "pid (comm) state ppid ..."; comm may hold spaces, so read after the last ")".
          const stat = readFileSync(`/proc/${d}/stat`, "utf8");
          return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]) === postmaster;
        } catch {
          return false;
        }
      })
      .map(Number);
    return [postmaster, ...children];
  }

  /** SIGSTOP to every process of the cluster: it answers nothing, as a network black hole behaves. */
  freeze() {
    for (const pid of this.processes()) process.kill(pid, "SIGSTOP");
  }

  /** SIGCONT: the cluster goes on where it stopped. */
  thaw() {
    for (const pid of this.processes()) process.kill(pid, "SIGCONT");
  }

  remove() {
    try {
      this.thaw();
    } catch {
      // not running
    }
    try {
      this.stop("immediate");
    } catch {
      // already stopped
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * `formgate` as it runs in production (engine/main.ts), in a process of its own, on PostgreSQL at
 * `databaseUrl` (or PGlite in `extraEnv.DATA_DIR` when null); resolves once it listens. `log` keeps
 * every line it writes.
 */
export async function startServer(
  databaseUrl: string | null,
  port: number,
  extraEnv: Record<string, string> = {},
): Promise<{ proc: ChildProcess; log: string[] }> {
  const log: string[] = [];
  const proc = spawn(process.execPath, ["--import", "tsx", "engine/main.ts"], {
    cwd: root,
    env: {
      ...process.env,
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
      PORT: String(port),
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      ADMIN_USERNAME: "alice",
      ADMIN_PASSWORD: PASSWORD,
      LOG_LEVEL: "info",
      ...extraEnv,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let pending = "";
  const listening = new Promise<void>((resolve, reject) => {
    const onData = (d: Buffer) => {
      pending += d.toString();
      const lines = pending.split("\n");
      pending = lines.pop()!;
      log.push(...lines);
      if (lines.some((l) => l.includes('"msg":"listening"'))) resolve();
    };
    proc.stdout.on("data", onData);
    proc.stderr.on("data", onData);
    proc.on("exit", (code) => reject(new Error(`formgate exited (${code}) before listening:\n${log.join("\n")}`)));
  });
  await listening;
  return { proc, log };
}

/**
 * Signs in on the web of a server over HTTP as a browser does (the login page's CSRF cookie and
 * field, then the form); returns the Cookie header that carries the session.
 */
export async function signInOverHttp(base: string, username: string, password: string): Promise<string> {
  const loginPage = await fetch(`${base}/login`);
  const pairs = (res: Response) => res.headers.getSetCookie().map((c) => c.split(";")[0]!);
  const before = pairs(loginPage);
  const csrf = (await loginPage.text()).match(/name="_csrf" value="([^"]+)"/)![1]!;
  const signIn = await fetch(`${base}/login`, {
    method: "POST",
    redirect: "manual",
    headers: { "content-type": "application/x-www-form-urlencoded", cookie: before.join("; "), origin: base },
    body: new URLSearchParams({ _csrf: csrf, username, password }),
  });
  if (signIn.status !== 303) throw new Error(`sign-in answered ${signIn.status}`);
  const jar = new Map(before.map((p) => [p.split("=")[0]!, p] as const));
  for (const p of pairs(signIn)) jar.set(p.split("=")[0]!, p);
  return [...jar.values()].join("; ");
}

/** A built server on a PostgreSQL cluster of the test's own, with alice signed in on the web. */
export interface ServerOnOwnCluster {
  cluster: Cluster;
  server: { proc: ChildProcess; log: string[] };
  /** `http://127.0.0.1:PORT`. */
  base: string;
  /** GET / with alice's session. */
  home: () => Promise<Response>;
  /** A device-API password step for nobody (401 while the database answers). */
  device: () => Promise<Response>;
  /** The server's JSON log lines so far. */
  entries: () => Record<string, unknown>[];
}

/**
 * Starts a cluster on a free port (binaries `bin`), the server on it, signs alice in, runs `fn`;
 * then kills the server if it still runs and removes the cluster, whatever `fn` did.
 */
export async function withServerOnOwnCluster(bin: string, fn: (s: ServerOnOwnCluster) => Promise<void>): Promise<void> {
  const cluster = new Cluster(bin, await freePort());
  let server: { proc: ChildProcess; log: string[] } | undefined;
  try {
    cluster.start();
    const port = await freePort();
    server = await startServer(`postgres://postgres@127.0.0.1:${cluster.port}/postgres`, port);
    const base = `http://127.0.0.1:${port}`;
    const cookie = await signInOverHttp(base, "alice", PASSWORD);
    const log = server.log;
    await fn({
      cluster,
      server,
      base,
      home: () => fetch(`${base}/`, { headers: { cookie }, redirect: "manual" }),
      device: () =>
        fetch(`${base}/api/device/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ username: "nobody", password: "not the password" }),
        }),
      entries: () => log.filter((l) => l.startsWith("{")).map((l) => JSON.parse(l) as Record<string, unknown>),
    });
  } finally {
    if (server && server.proc.exitCode === null) server.proc.kill("SIGKILL");
    cluster.remove();
  }
}
