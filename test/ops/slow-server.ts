// A Formgate server process for test/ops/shutdown.test.ts: the real start-up and shutdown
// (engine/ops/shutdown.ts) with one extra route, GET /test/slow, that answers after SLOW_MS and
// prints "slow request started" when a request arrives, and "connection accepted" for each
// connection. Only this test serves it.
import { serve } from "@hono/node-server";
import { Hono } from "hono";
import type { Server } from "node:http";
import { loadConfig } from "../../engine/config.js";
import { createLogger } from "../../engine/log.js";
import { installShutdown } from "../../engine/ops/shutdown.js";
import { bootServices } from "../../engine/start.js";
import { createApp } from "../../engine/web/app.js";

const config = loadConfig();
const log = createLogger("info");
const services = await bootServices(config, log, undefined, "the slow test server");
const flag = { shuttingDown: false };
const outer = new Hono();
const slowMs = Number(process.env.SLOW_MS ?? 2000);
outer.get("/test/slow", async (c) => {
  console.log("slow request started");
  await new Promise((resolve) => setTimeout(resolve, slowMs));
  return c.text("done");
});
outer.route("/", createApp(services, flag));
const server = serve({ fetch: outer.fetch, port: config.PORT }, () => console.log("listening"));
// The shutdown test waits until the server has accepted its connections before it signals.
server.on("connection", () => console.log("connection accepted"));
let loopStopped = false;
installShutdown({
  server: server as Server,
  log,
  flag,
  stopLoops: [() => (loopStopped = true)],
  closeDb: async () => {
    await services.db.close();
    console.log(`database closed, loop stopped: ${loopStopped}`);
  },
});
