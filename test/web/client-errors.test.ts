// What Node's HTTP parser refuses before any route sees it (a malformed request, headers over the
// limit) is answered with the headers every other answer carries — no-store, nosniff, a CSP —
// not Node's bare "400 Bad Request"; a good request on the same server is answered by the app.
import { serve } from "@hono/node-server";
import { createServer, type Server } from "node:http";
import { once } from "node:events";
import { connect, type AddressInfo } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { answerClientErrors } from "../../engine/web/http/client-errors.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { exchange } from "../helpers/raw-http.js";

const t = suite<{ env: TestEnv; server: Server; port: number }>("refusals of Node's HTTP parser");

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  await new Promise<void>((resolve) => {
    ctx.server = serve({ fetch: ctx.env.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve()) as Server;
  });
  answerClientErrors(ctx.server);
  ctx.port = (ctx.server.address() as AddressInfo).port;
});
t.after(async (ctx) => {
  await new Promise((resolve) => ctx.server.close(resolve));
  await ctx.env.close();
});

const SECURE = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "x-frame-options": "SAMEORIGIN",
  "referrer-policy": "same-origin",
};

t("a malformed request line is 400 with the app's security headers", async ({ port }) => {
  const r = await exchange(port, "NOT A REQUEST\r\n\r\n");
  assert.is(r.status, 400);
  for (const [name, value] of Object.entries(SECURE)) assert.is(r.headers.get(name), value, name);
  assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'none'/);
  assert.is(r.headers.get("connection"), "close");
  assert.is(r.body, "Bad Request.\n");
  assert.is(Number(r.headers.get("content-length")), Buffer.byteLength(r.body));
});

t("headers over Node's limit are 431 with the same headers", async ({ port }) => {
  const r = await exchange(port, `GET /login HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`);
  assert.is(r.status, 431);
  for (const [name, value] of Object.entries(SECURE)) assert.is(r.headers.get(name), value, name);
  assert.is(r.body, "Request Header Fields Too Large.\n");
});

t("garbage pipelined behind a request whose answer is streaming never lands inside that answer", async () => {
  // A streamed answer (as the CSV exports and the backup download are): its first chunk is out when
  // the garbage arrives. Node's own handler then closes the connection; so must ours.
  const server = createServer((_req, res) => {
    res.writeHead(200, { "Content-Type": "text/csv" });
    res.write("row1\n");
  });
  answerClientErrors(server);
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  try {
    const socket = connect((server.address() as AddressInfo).port, "127.0.0.1");
    socket.setEncoding("latin1");
    let text = "";
    socket.on("data", (chunk: string) => {
      const first = text === "";
      text += chunk;
      if (first) socket.write("NOT A REQUEST\r\n\r\n");
    });
    socket.write("GET /export.csv HTTP/1.1\r\nHost: x\r\n\r\n");
    await once(socket, "close");
    assert.match(text, /^HTTP\/1\.1 200 OK/);
    assert.match(text, /row1/);
    assert.not.match(text, /400 Bad Request/, "no second answer written into the streamed one");
  } finally {
    server.closeAllConnections();
    server.close();
  }
});

t("a good request on the same server is the app's answer (control)", async ({ port }) => {
  const r = await exchange(port, "GET /login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  assert.is(r.status, 200);
  assert.is(r.headers.get("cache-control"), "no-store");
  assert.match(r.headers.get("content-security-policy") ?? "", /default-src 'self'/);
});

t.run();
