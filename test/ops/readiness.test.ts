// /health/ready under a PostgreSQL outage (issue 24): with a cluster this test starts and stops
// itself (test/helpers/pg-cluster.ts, as the outage test does), ready is 503 while PostgreSQL is
// down and 200 after, and live is 200 throughout. Without the server binaries: skipped, loudly.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { ChildProcess } from "node:child_process";
import { Cluster, freePort, serverBinaries, startServer } from "../helpers/pg-cluster.js";
import { skipSuite } from "../helpers/skip.js";

const bin = serverBinaries();
const t = suite("readiness follows the database");

t("ready 503 while PostgreSQL is down, 200 after; live 200 throughout", async () => {
  const cluster = new Cluster(bin!, await freePort());
  let server: { proc: ChildProcess; log: string[] } | undefined;
  try {
    cluster.start();
    const port = await freePort();
    server = await startServer(`postgres://postgres@127.0.0.1:${cluster.port}/postgres`, port);
    const get = async (path: string) => {
      const res = await fetch(`http://127.0.0.1:${port}${path}`);
      return { status: res.status, body: (await res.json()) as Record<string, unknown> };
    };
    assert.equal(await get("/health/ready"), { status: 200, body: { status: "ready", database: "pg" } });
    assert.is((await get("/health/live")).status, 200);

    cluster.stop();
    assert.equal(await get("/health/ready"), {
      status: 503,
      body: { status: "not ready", reason: "database unavailable" },
    });
    assert.equal(await get("/health/live"), { status: 200, body: { status: "live" } });

    cluster.start();
    assert.equal(await get("/health/ready"), { status: 200, body: { status: "ready", database: "pg" } });
    assert.is((await get("/health/live")).status, 200);
    assert.is(server.proc.exitCode, null, "the same process throughout");
  } finally {
    server?.proc.kill("SIGTERM");
    cluster.remove();
  }
});

if (bin) t.run();
else skipSuite("the readiness test needs the PostgreSQL server binaries (Debian package postgresql)");
