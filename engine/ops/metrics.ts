import { createRequire } from "node:module";
import type { PoolStats } from "../db/db.js";

// prom-client (CommonJS, with @opentelemetry/api: about 100 files) is required when metrics are
// created, not at import: a server without METRICS_TOKEN never loads it (start-up, issue 26).
const require = createRequire(import.meta.url);

/** Where a sign-in happened: the web pages or the JSON device API. */
export type SignInSurface = "web" | "device";
/**
 * How one sign-in step ended: "success" (fully signed in), "mfa_required" (password right, a code
 * or an MFA setup comes next), "failure" (wrong password or code, or no access), "throttled".
 */
export type SignInOutcome = "success" | "mfa_required" | "failure" | "throttled";
/** How one checked TOTP code ended (CodeVerification's results). */
export type CodeResult = "valid" | "invalid" | "locked" | "not_enrolled";

/**
 * The Prometheus series of one server (prom-client, its own registry). Label values are only ever
 * route templates, HTTP methods from a fixed list, status codes and the enums above: never a path,
 * a username, an id or a query string. When disabled (no METRICS_TOKEN) every call does nothing.
 */
export interface Metrics {
  readonly enabled: boolean;
  /** One answered HTTP request: route template (`/apps/:appId/:recordId`), method, status, seconds. */
  httpRequest(route: string, method: string, status: number, seconds: number): void;
  signIn(surface: SignInSurface, outcome: SignInOutcome): void;
  mfaCode(result: CodeResult): void;
  /** An account locked after too many wrong codes. */
  mfaLock(): void;
  /** The exposition in the Prometheus text format 0.0.4 and its content type. */
  expose(): Promise<{ contentType: string; body: string }>;
}

/** A route's pattern without its parameters' regex constraints: `/apps/:appId/:recordId{[0-9a-f]…}` → `/apps/:appId/:recordId`. */
export function routeTemplate(routePath: string): string {
  return routePath.replace(/(:\w+)\{.*?\}(?=\/|$)/g, "$1");
}

const METHODS = new Set(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]);

const noop = () => {};

/** Metrics that record nothing (METRICS_TOKEN unset). */
export const disabledMetrics: Metrics = {
  enabled: false,
  httpRequest: noop,
  signIn: noop,
  mfaCode: noop,
  mfaLock: noop,
  expose: () => Promise.resolve({ contentType: "text/plain; version=0.0.4; charset=utf-8", body: "" }),
};

/**
 * A recording Metrics over a registry of its own with the process defaults (`formgate_process_*`,
 * `formgate_nodejs_*`) and the `formgate_db_pool_*` gauges read from `pool` at each scrape.
 */
export function createMetrics(
  pool: () => PoolStats,
  /** Mails in the outbox by state (queued, sending, sent, failed, skipped), read at each scrape. */
  outbox: () => Promise<Record<string, number>> = () => Promise.resolve({}),
): Metrics {
  const { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } =
    require("prom-client") as typeof import("prom-client");
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "formgate_" });
  // Gauges named like counters, which promtool check metrics rejects; the same figures stay
  // without the suffix (formgate_nodejs_active_handles, …).
  for (const name of ["active_handles_total", "active_requests_total", "active_resources_total"]) {
    register.removeSingleMetric(`formgate_nodejs_${name}`);
  }
  const requests = new Counter({
    name: "formgate_http_requests_total",
    help: "HTTP requests answered, by route template, method and status.",
    labelNames: ["route", "method", "status"] as const,
    registers: [register],
  });
  const durations = new Histogram({
    name: "formgate_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by route template, method and status.",
    labelNames: ["route", "method", "status"] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });
  const signIns = new Counter({
    name: "formgate_sign_ins_total",
    help: "Sign-in steps, by surface (web, device) and outcome (success, mfa_required, failure, throttled).",
    labelNames: ["surface", "outcome"] as const,
    registers: [register],
  });
  const codes = new Counter({
    name: "formgate_mfa_codes_total",
    help: "TOTP codes checked at sign-in, by result (valid, invalid, locked, not_enrolled).",
    labelNames: ["result"] as const,
    registers: [register],
  });
  const locks = new Counter({
    name: "formgate_mfa_locks_total",
    help: "Accounts locked after too many wrong codes.",
    registers: [register],
  });
  const gauge = (name: string, help: string, read: (p: PoolStats) => number) =>
    new Gauge({
      name,
      help,
      registers: [register],
      collect() {
        this.set(read(pool()));
      },
    });
  gauge("formgate_db_pool_connections", "Database connections open (1 for the embedded database).", (p) => p.total);
  gauge("formgate_db_pool_idle_connections", "Database connections open and idle.", (p) => p.idle);
  gauge("formgate_db_pool_waiting_requests", "Queries waiting for a database connection.", (p) => p.waiting);
  new Gauge({
    name: "formgate_mail_outbox",
    help: "Mails in the outbox, by state (queued, sending, sent, failed, skipped).",
    labelNames: ["state"] as const,
    registers: [register],
    async collect() {
      this.reset();
      for (const [state, n] of Object.entries(await outbox())) this.set({ state }, n);
    },
  });
  return {
    enabled: true,
    httpRequest(route, method, status, seconds) {
      const labels = {
        route: routeTemplate(route),
        method: METHODS.has(method) ? method : "other",
        status: String(status),
      };
      requests.inc(labels);
      durations.observe(labels, seconds);
    },
    signIn: (surface, outcome) => signIns.inc({ surface, outcome }),
    mfaCode: (result) => codes.inc({ result }),
    mfaLock: () => locks.inc(),
    expose: async () => ({ contentType: register.contentType, body: await register.metrics() }),
  };
}
