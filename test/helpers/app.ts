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

/** The origin of the in-process app (app.request("/path") is http://localhost/path). */
export const TEST_ORIGIN = "http://localhost";

/**
 * A browser stand-in: keeps cookies, finds the CSRF token in pages, posts forms with this site's
 * Origin as a browser does. The CSRF token is signed for the signed-in user: after the session
 * cookie changed (a sign-in, a sign-out) the next post first reads a page for the new token.
 */
export class TestClient {
  readonly cookies = new Map<string, string>();
  csrf = "";
  /** The session cookie the CSRF token was read under. */
  #csrfSession: string | undefined = undefined;

  constructor(
    private readonly app: Hono<AppEnv>,
    private readonly headers: Record<string, string> = {},
  ) {}

  async request(path: string, init: RequestInit = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    for (const [k, v] of Object.entries(this.headers)) headers.set(k, v);
    // A browser sends the page's Origin with every unsafe request; an empty one given here means none.
    if (headers.get("origin") === "") headers.delete("origin");
    else if (init.method && !["GET", "HEAD"].includes(init.method.toUpperCase()) && !headers.has("origin")) {
      headers.set("origin", TEST_ORIGIN);
    }
    // Cookies given with the request (a planted one) take the place of the jar's of the same name.
    const jar = new Map(this.cookies);
    for (const pair of (headers.get("cookie") ?? "").split(";").filter((p) => p.includes("="))) {
      const [k, ...v] = pair.trim().split("=");
      jar.set(k!, v.join("="));
    }
    if (jar.size) headers.set("cookie", [...jar].map(([k, v]) => `${k}=${v}`).join("; "));
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
    this.#scrape(html);
    return { res, html };
  }

  /** The session cookie, by either of its names (`__Host-` behind TLS). */
  #session(): string | undefined {
    return this.cookies.get("fg_session") ?? this.cookies.get("__Host-fg_session");
  }

  #scrape(html: string): void {
    const m = html.match(/name="_csrf" value="([^"]+)"/) ?? html.match(/name="csrf-token" content="([^"]+)"/);
    if (m) {
      this.csrf = m[1]!;
      this.#csrfSession = this.#session();
    }
  }

  /** A page for a CSRF token of the current session: home, or where it sends a half-signed-in one. */
  async #freshCsrf(): Promise<void> {
    const home = await this.get("/");
    const next = home.res.headers.get("location");
    if (home.res.status === 303 && next) await this.get(next.startsWith("/") ? next : "/login");
  }

  /** Posts a form the way a browser does, with the CSRF field from the last page. */
  async post(path: string, fields: Record<string, string | string[]>, extraHeaders: Record<string, string> = {}) {
    if (!this.csrf) await this.get("/login");
    else if (this.#csrfSession !== this.#session()) await this.#freshCsrf();
    const body = new URLSearchParams();
    body.set("_csrf", this.csrf);
    for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) body.append(k, one);
    const res = await this.request(path, {
      method: "POST",
      body,
      headers: { "content-type": "application/x-www-form-urlencoded", origin: TEST_ORIGIN, ...extraHeaders },
    });
    const html = await res.text();
    this.#scrape(html);
    return { res, html };
  }

  async signIn(username: string, password: string) {
    await this.get("/login");
    return this.post("/login", { username, password });
  }
}
