import type { Hono } from "hono";
import { ManualClock } from "../../engine/clock.js";
import type { Config } from "../../engine/config.js";
import type { Db } from "../../engine/db/db.js";
import { createApp } from "../../engine/web/app.js";
import type { AppEnv } from "../../engine/web/http/env.js";
import { createLogger, type Logger } from "../../engine/log.js";
import { createServices, type Services } from "../../engine/services.js";
import { openTestDb } from "./db.js";

export const TEST_SECRET_KEY = Buffer.alloc(32, 7).toString("base64");

export function testConfig(overrides: Partial<Config> = {}): Config {
  return {
    PORT: 3000,
    DATA_DIR: "/nonexistent",
    TRUST_PROXY: false,
    LOG_LEVEL: "info",
    TOTP_WINDOW_STEPS: 1,
    MAIL_POLL_SECONDS: 10,
    FORMGATE_SECRET_KEY: TEST_SECRET_KEY,
    ...overrides,
  };
}

export interface TestEnv {
  db: Db;
  clock: ManualClock;
  services: Services;
  app: Hono<AppEnv>;
  /** Every log line the app wrote, for tests that prove a secret never reaches a log. */
  logLines: string[];
  close(): Promise<void>;
}

/** A whole server in-process on a fresh database, with a clock the test moves. */
export async function startTestEnv(
  configOverrides: Partial<Config> = {},
  options: {
    /** The database writes its query log (debug lines, msg "query") to logLines too. */ queryLog?: boolean;
  } = {},
): Promise<TestEnv> {
  const logLines: string[] = [];
  const log: Logger = createLogger("debug", (l) => logLines.push(l));
  const db = await openTestDb(options.queryLog ? { log: log.child({ component: "db" }) } : {});
  const clock = new ManualClock();
  const services = createServices(db, clock, testConfig(configOverrides), log, Buffer.from(TEST_SECRET_KEY, "base64"));
  const app = createApp(services);
  return { db, clock, services, app, logLines, close: () => db.close() };
}

/** A browser stand-in: keeps cookies, finds the CSRF token in pages, posts forms. */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrf = "";

  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    if (this.cookies.size) headers.set("cookie", [...this.cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    const res = await this.app.request(path, { ...init, headers });
    for (const line of res.headers.getSetCookie()) {
      const [pair, ...attrs] = line.split(";");
      const [name, ...rest] = pair!.split("=");
      const value = rest.join("=");
      const expired = attrs.some((a) => /max-age=0|expires=Thu, 01 Jan 1970/i.test(a.trim()));
      if (expired || value === "") this.cookies.delete(name!.trim());
      else this.cookies.set(name!.trim(), value);
    }
    return res;
  }

  async get(path: string): Promise<{ res: Response; html: string }> {
    const res = await this.request(path);
    const html = await res.text();
    const m = html.match(/name="_csrf" value="([^"]+)"/) ?? html.match(/name="csrf-token" content="([^"]+)"/);
    if (m) this.csrf = m[1]!;
    return { res, html };
  }

  /** Posts a form the way a browser does, with the CSRF field from the last page. */
  async post(path: string, fields: Record<string, string | string[]>, extraHeaders: Record<string, string> = {}) {
    if (!this.csrf) await this.get("/login");
    const body = new URLSearchParams();
    body.set("_csrf", this.csrf);
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    const res = await this.request(path, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded", ...extraHeaders },
    });
    const html = await res.text();
    const m = html.match(/name="_csrf" value="([^"]+)"/);
    if (m) this.csrf = m[1]!;
    return { res, html };
  }

  async signIn(username: string, password: string) {
    await this.get("/login");
    return this.post("/login", { username, password });
  }
}
