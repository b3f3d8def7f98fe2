import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { connect, type Socket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { TEST_SECRET_KEY } from "../helpers/app.js";
import { freePort } from "../helpers/pg-cluster.js";

// SIGTERM (issue 24): with 16 slow requests in flight the server stops accepting, answers every
// one of them, stops its loops, closes the database and exits 0 within the 10 s grace; a second
// signal exits at once. The server is test/ops/slow-server.ts: the real start-up and shutdown
// with one slow route.
const t = suite("clean shutdown");
const root = new URL("../../", import.meta.url).pathname;

interface Proc {
  child: ChildProcess;
  lines: string[];
  /** Resolves when `count` lines containing `text` have been printed. */
  seen(text: string, count?: number): Promise<void>;
  exited: Promise<number | null>;
  port: number;
  dir: string;
}

async function startSlowServer(slowMs: number): Promise<Proc> {
  const dir = mkdtempSync(join(tmpdir(), "formgate-shutdown-"));
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "test/ops/slow-server.ts"], {
    cwd: root,
    env: {
      ...process.env,
      PORT: String(port),
      DATA_DIR: dir,
      FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
      SLOW_MS: String(slowMs),
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const lines: string[] = [];
  const waiters: (() => void)[] = [];
  let pending = "";
  const onData = (d: Buffer) => {
    pending += d.toString();
    const parts = pending.split("\n");
    pending = parts.pop()!;
    lines.push(...parts);
    for (const w of [...waiters]) w();
  };
  child.stdout.on("data", onData);
  child.stderr.on("data", onData);
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const seen = (text: string, count = 1) =>
    new Promise<void>((resolve, reject) => {
      const check = () => {
        if (lines.filter((l) => l.includes(text)).length >= count) {
          waiters.splice(waiters.indexOf(check), 1);
          resolve();
        }
      };
      waiters.push(check);
      void exited.then(() => reject(new Error(`exited before "${text}" ×${count}:\n${lines.join("\n")}`)));
      check();
    });
  await seen("listening");
  return { child, lines, seen, exited, port, dir };
}

t("SIGTERM during 16 slow requests: every one answered, exit 0 within 10 s", async () => {
  const p = await startSlowServer(1500);
  try {
    const answers = Array.from({ length: 16 }, () =>
      fetch(`http://127.0.0.1:${p.port}/test/slow`).then(async (r) => `${r.status} ${await r.text()}`),
    );
    await p.seen("slow request started", 16);
    const signalled = performance.now();
    p.child.kill("SIGTERM");
    await p.seen("shutting down");
    const refused = await fetch(`http://127.0.0.1:${p.port}/health/live`).then(
      (r) => `answered ${r.status}`,
      () => "refused",
    );
    assert.is(refused, "refused", "no new connection is accepted");
    assert.equal(await Promise.all(answers), Array(16).fill("200 done"));
    const code = await p.exited;
    const seconds = (performance.now() - signalled) / 1000;
    assert.is(code, 0, p.lines.join("\n"));
    assert.ok(seconds < 10, `exited ${seconds.toFixed(1)} s after SIGTERM`);
    assert.ok(
      p.lines.some((l) => l.includes("database closed, loop stopped: true")),
      p.lines.join("\n"),
    );
  } finally {
    p.child.kill("SIGKILL");
    rmSync(p.dir, { recursive: true, force: true });
  }
});

/** A raw connection: everything the server sends until it closes, and how it closed. */
function rawConnection(
  port: number,
): Promise<{ socket: Socket; received: Promise<{ text: string; error: string | null }> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, "127.0.0.1");
    let text = "";
    socket.setEncoding("utf8");
    socket.on("data", (d: string) => (text += d));
    const received = new Promise<{ text: string; error: string | null }>((done) => {
      socket.on("error", (err: NodeJS.ErrnoException) => done({ text, error: err.code ?? err.message }));
      socket.on("close", () => done({ text, error: null }));
    });
    socket.once("connect", () => resolve({ socket, received }));
    socket.once("error", reject);
  });
}

t(
  "SIGTERM with 50 connections accepted whose requests are not read yet: every one answered, Connection: close",
  async () => {
    const p = await startSlowServer(200);
    try {
      // A keep-alive connection that served one request and waits for the next: closed at once.
      const idle = await rawConnection(p.port);
      idle.socket.write("GET /health/live HTTP/1.1\r\nHost: x\r\n\r\n");
      await new Promise<void>((resolve) => idle.socket.once("data", () => resolve()));
      // One that never sends a request: closed after its second, without holding the exit up.
      const silent = await rawConnection(p.port);
      const conns = await Promise.all(Array.from({ length: 50 }, () => rawConnection(p.port)));
      await p.seen("connection accepted", 52);
      const signalled = performance.now();
      p.child.kill("SIGTERM");
      await p.seen("shutting down");
      // The requests arrive after the signal: to the server they are connections without a request yet.
      for (const c of conns) c.socket.write("GET /test/slow HTTP/1.1\r\nHost: x\r\n\r\n");
      const answers = await Promise.all(conns.map((c) => c.received));
      for (const [i, a] of answers.entries()) {
        assert.is(a.error, null, `connection ${i}: ${a.error}`);
        assert.match(a.text, /^HTTP\/1\.1 200 OK\r\n/, `connection ${i}: ${a.text}`);
        assert.match(a.text, /\r\nconnection: close\r\n/i, `connection ${i}`);
        assert.match(a.text, /\r\n\r\ndone$/, `connection ${i}`);
      }
      const idleEnd = await idle.received;
      assert.match(idleEnd.text, /^HTTP\/1\.1 200 OK/, "the idle connection had its one answer, then was closed");
      assert.equal((await silent.received).text, "");
      const code = await p.exited;
      const seconds = (performance.now() - signalled) / 1000;
      assert.is(code, 0, p.lines.join("\n"));
      assert.ok(seconds < 5, `exited ${seconds.toFixed(1)} s after SIGTERM`);
    } finally {
      p.child.kill("SIGKILL");
      rmSync(p.dir, { recursive: true, force: true });
    }
  },
);

t("a second signal exits at once, without waiting for the slow requests", async () => {
  const p = await startSlowServer(60_000);
  try {
    const answer = fetch(`http://127.0.0.1:${p.port}/test/slow`).then(
      (r) => r.status,
      () => "cut off",
    );
    await p.seen("slow request started");
    p.child.kill("SIGTERM");
    await p.seen("shutting down");
    p.child.kill("SIGINT");
    assert.is(await p.exited, 1);
    assert.is(await answer, "cut off");
  } finally {
    p.child.kill("SIGKILL");
    rmSync(p.dir, { recursive: true, force: true });
  }
});

t.run();
