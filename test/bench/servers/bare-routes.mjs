// The request path without the engine: POST /echo reads a small JSON body and answers JSON, GET
// /healthz answers JSON. BARE=node: plain node:http; BARE=hono: a Hono app on @hono/node-server
// with its defaults (its lightweight Request, overrideGlobalObjects on); BARE=hono-undici: the same
// with overrideGlobalObjects off (every request a full undici Request). Started by
// test/bench/adapter-bench.ts.
import { createServer } from "node:http";
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const port = Number(process.env.PORT ?? 3000);
const mode = process.env.BARE ?? "node";
if (mode === "node") {
  createServer((req, res) => {
    const send = (status, body) => {
      const text = JSON.stringify(body);
      res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
      res.end(text);
    };
    if (req.method === "GET") return send(200, { status: "ok" });
    let data = "";
    req.setEncoding("utf8");
    req.on("data", (d) => (data += d));
    req.on("end", () => {
      const { userId } = JSON.parse(data);
      send(200, { status: "ok", userId });
    });
  }).listen(port);
} else {
  const app = new Hono();
  app.get("/healthz", (c) => c.json({ status: "ok" }));
  app.post("/echo", async (c) => {
    const { userId } = await c.req.json();
    return c.json({ status: "ok", userId });
  });
  serve({ fetch: app.fetch, port, overrideGlobalObjects: mode !== "hono-undici" });
}
