import { serve, type ServerType } from "@hono/node-server";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../engine/paths.js";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import type { TestEnv } from "./app.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

/** Debian's chromium, headless, with the flags this closed network needs (no background fetches). */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}

/** Serves a test env's app on a free loopback port. */
export async function listen(env: TestEnv): Promise<{ url: string; close(): Promise<void> }> {
  const server: ServerType = await new Promise((resolve) => {
    const s = serve({ fetch: env.app.fetch, port: 0, hostname: "127.0.0.1" }, () => resolve(s));
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/**
 * Where the browser suites write their screenshots: docs/screenshots/ when SCREENSHOTS=update (to
 * refresh the committed pictures of the README and guides), otherwise a temporary folder, so that
 * `npm test` takes every picture (the pages still render) without changing the working tree.
 */
export function screenshotDir(): string {
  if (process.env.SCREENSHOTS === "update") return join(PROJECT_ROOT, "docs", "screenshots");
  return mkdtempSync(join(tmpdir(), "formgate-shots-"));
}
