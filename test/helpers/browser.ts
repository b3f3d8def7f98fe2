import { serve, type ServerType } from "@hono/node-server";
import { existsSync, mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PROJECT_ROOT } from "../../engine/paths.js";
import type { AddressInfo } from "node:net";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { startTestEnv, type TestEnv } from "./app.js";

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const hasChromium = existsSync(CHROMIUM);

const consoleErrorsOfPage = new WeakMap<Page, string[]>();

/**
 * What went wrong on the page's console since the last call (which empties the list): script
 * errors, Content Security Policy violations, assets that failed to load. A 4xx answer to a request
 * the page made (a form's 422 with its messages, a 409, a 429) is an answer, not a fault: Chromium
 * logs it as "Failed to load resource", and it is not counted, except 404 (a missing asset).
 */
export function takeConsoleErrors(page: Page): string[] {
  const errors = consoleErrorsOfPage.get(page) ?? [];
  consoleErrorsOfPage.set(page, []);
  return errors;
}

function watchConsole(page: Page): void {
  consoleErrorsOfPage.set(page, []);
  const add = (text: string) => consoleErrorsOfPage.get(page)?.push(text);
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const text = m.text();
    if (/^Failed to load resource: the server responded with a status of 4(?!04)\d\d/.test(text)) return;
    add(`${text} (${m.location().url})`);
  });
  page.on("pageerror", (e) => add(e.message));
}

/**
 * Debian's chromium, headless, with the flags this closed network needs (no background fetches).
 * Every context runs under the pages' real Content Security Policy (a `bypassCSP` option is
 * overridden: a page that needs an exception must fail), and every page's console is watched
 * (takeConsoleErrors).
 */
export async function launchBrowser(): Promise<Browser> {
  const browser = await launchChromium();
  const newContext = browser.newContext.bind(browser);
  browser.newContext = async (options?: Parameters<Browser["newContext"]>[0]): Promise<BrowserContext> => {
    const context = await newContext({ ...options, bypassCSP: false });
    context.on("page", watchConsole);
    return context;
  };
  return browser;
}

function launchChromium(): Promise<Browser> {
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
