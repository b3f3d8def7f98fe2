// A keep-alive GET load loop in a worker thread (the other core), for the benchmarks that compare
// requests per second of routes served by this process.
import { once } from "node:events";
import { Worker } from "node:worker_threads";

/**
 * Requests per second against a URL for `seconds`, over `connections` keep-alive connections, each
 * request with the `cookie` header (and `authorization` when given); throws on any non-200.
 */
export async function requestsPerSecond(
  url: string,
  cookie: string,
  seconds: number,
  connections = 16,
  authorization?: string,
): Promise<number> {
  const worker = new Worker(
    `
    const { workerData, parentPort } = require("node:worker_threads");
    const http = require("node:http");
    const agent = new http.Agent({ keepAlive: true, maxSockets: workerData.connections });
    const end = Date.now() + workerData.seconds * 1000;
    let done = 0, failed = 0;
    function one() {
      return new Promise((resolve) => {
        const headers = { cookie: workerData.cookie };
        if (workerData.authorization) headers.authorization = workerData.authorization;
        const req = http.get(workerData.url, { agent, headers }, (res) => {
          if (res.statusCode !== 200) failed++;
          res.resume();
          res.on("end", resolve);
        });
        req.on("error", () => { failed++; resolve(); });
      });
    }
    async function loop() { while (Date.now() < end) { await one(); done++; } }
    Promise.all(Array.from({ length: workerData.connections }, loop)).then(() => {
      parentPort.postMessage({ done, failed });
      agent.destroy();
    });
    `,
    { eval: true, workerData: { url, cookie, seconds, connections, authorization } },
  );
  const [result] = (await once(worker, "message")) as [{ done: number; failed: number }];
  await worker.terminate();
  if (result.failed) throw new Error(`${result.failed} requests to ${url} failed`);
  return result.done / seconds;
}
