// The body limit behind Node's HTTP parser (engine/web/http/body-limit.ts): a declared
// Content-Length is compared with the limit without hono building a full Request, a chunked body
// is counted as it arrives, and either way a body over the limit is a 413 and one within it reaches
// the route whole. Through a real @hono/node-server on a free port: app.request has no parser.
import { serve, type ServerType } from "@hono/node-server";
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import { connect } from "node:net";
import { request } from "node:http";
import type { AddressInfo } from "node:net";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { declaredBodyLimit } from "../../engine/web/http/body-limit.js";

const LIMIT = 1000;
const t = suite<{ server: ServerType; port: number }>("the body limit behind Node's HTTP parser");
/** Resolves with the next error the app's onError sees. */
let nextError: (err: Error) => void = () => {};

t.before(async (ctx) => {
  const app = new Hono();
  app.use(declaredBodyLimit(LIMIT, (c) => c.text("too large", 413)));
  app.onError((err, c) => {
    nextError(err);
    return c.text("error", err instanceof HTTPException ? err.status : 500);
  });
  app.get("/", (c) => c.text("no body"));
  app.post("/", async (c) => c.text(`read ${(await c.req.text()).length}`));
  await new Promise<void>((resolve) => {
    ctx.server = serve({ fetch: app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve());
  });
  ctx.port = (ctx.server.address() as AddressInfo).port;
});
t.after(({ server }) => new Promise<void>((resolve) => server.close(() => resolve())));

/** Sends `body` with a Content-Length, or in chunks (Transfer-Encoding: chunked) when `chunked`. */
function send(port: number, method: string, body: string | null, chunked = false) {
  return new Promise<{ status: number; text: string }>((resolve, reject) => {
    const headers: Record<string, string> = {};
    if (body !== null && !chunked) headers["content-length"] = String(Buffer.byteLength(body));
    const req = request({ host: "127.0.0.1", port, method, path: "/", headers }, (res) => {
      let text = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (text += d));
      res.on("end", () => resolve({ status: res.statusCode!, text }));
    });
    req.on("error", reject);
    if (body !== null && chunked) for (let i = 0; i < body.length; i += 100) req.write(body.slice(i, i + 100));
    else if (body !== null) req.write(body);
    req.end();
  });
}

t("a declared length within the limit reaches the route whole", async ({ port }) => {
  assert.equal(await send(port, "POST", "x".repeat(LIMIT)), { status: 200, text: `read ${LIMIT}` });
});

t("a declared length over the limit is a 413", async ({ port }) => {
  assert.equal(await send(port, "POST", "x".repeat(LIMIT + 1)), { status: 413, text: "too large" });
});

t("a chunked body is counted: over the limit a 413, within it read whole", async ({ port }) => {
  assert.equal(await send(port, "POST", "y".repeat(LIMIT + 1), true), { status: 413, text: "too large" });
  assert.equal(await send(port, "POST", "y".repeat(LIMIT - 1), true), { status: 200, text: `read ${LIMIT - 1}` });
});

t("a request without a body passes", async ({ port }) => {
  assert.equal(await send(port, "GET", null), { status: 200, text: "no body" });
  assert.equal(await send(port, "POST", null), { status: 200, text: "read 0" });
});

t("a chunked body cut off on the way is a 400, not an unhandled error", async ({ port }) => {
  const seen = new Promise<Error>((resolve) => (nextError = resolve));
  const socket = connect(port, "127.0.0.1", () => {
    socket.write("POST / HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n64\r\n" + "z".repeat(50));
    // The client goes away in the middle of its first chunk.
    setImmediate(() => socket.destroy());
  });
  const err = await seen;
  assert.instance(err, HTTPException);
  assert.is((err as HTTPException).status, 400);
});

t.run();
