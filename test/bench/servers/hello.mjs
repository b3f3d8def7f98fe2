// The start-up baseline: a hello-world @hono/node-server started with plain `node`.
import { serve } from "@hono/node-server";
import { Hono } from "hono";

const app = new Hono();
app.get("/healthz", (c) => c.json({ status: "ok" }));
serve({ fetch: app.fetch, port: Number(process.env.PORT ?? 3000) });
