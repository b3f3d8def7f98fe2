import { serve, type ServerType } from "@hono/node-server";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../engine/paths.js";
import type { AddressInfo } from "node:net";
import { chromium, type Browser } from "playwright-core";
import { startTestEnv, type TestEnv } from "./app.js";

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
export async function listen(env: TestEnv): Promise<{ url: string; close: () => Promise<void> }> {
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

/** What a browser suite holds between its tests: the engine, Chromium, the served address. */
export interface BrowserStage {
  env: TestEnv;
  browser: Browser;
  /** `http://127.0.0.1:PORT`, the served app. */
  url: string;
  /** Stops serving. */
  stop(): Promise<void>;
}

/**
 * A test env whose clock starts at the real time: the browser drops cookies whose Expires lies in
 * its own past, so a server clock at the ManualClock's epoch would sign nobody in.
 */
export async function browserTestEnv(): Promise<TestEnv> {
  const env = await startTestEnv();
  env.clock.set(new Date());
  return env;
}

/** Serves `stage.env` on a free loopback port and launches Chromium: sets `url`, `stop`, `browser`. */
export async function openBrowser(stage: Partial<BrowserStage> & { env: TestEnv }): Promise<void> {
  const server = await listen(stage.env);
  stage.url = server.url;
  stage.stop = server.close;
  stage.browser = await launchBrowser();
}

/** Closes what browserTestEnv and openBrowser opened, whichever of them got as far as opening. */
export async function closeBrowserStage(stage: Partial<BrowserStage>): Promise<void> {
  await stage.browser?.close();
  await stage.stop?.();
  await stage.env?.close();
}
