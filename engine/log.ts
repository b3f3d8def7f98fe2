import { AsyncLocalStorage } from "node:async_hooks";

/**
 * Structured JSON-lines logger. Callers pass facts, never secrets or SQL parameters; values under
 * known secret names (REDACTED_KEYS) are redacted all the same.
 */
export type LogLevel = "debug" | "info" | "warn" | "error" | "silent";
const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 99 };

/**
 * A structured logger: each call writes one JSON line with time, level, message, the bound fields
 * and the request context; `child` binds more fields. Never pass a secret in `fields`.
 */
export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
  /** Whether a call at `level` writes a line: callers skip building costly fields when not (the query log). */
  enabled?(level: Exclude<LogLevel, "silent">): boolean;
}

/** Where a logger writes: one JSON line per call, without the trailing newline. */
export type LogSink = (line: string) => void;

const context = new AsyncLocalStorage<Record<string, unknown>>();

/**
 * Field names whose values never reach a log line, compared without case: a value under one of
 * them, at any depth, is written as "[redacted]". Names ending in Password, Secret or Token
 * (newPassword, secretToken) count too.
 */
export const REDACTED_KEYS = ["password", "code", "recoverycode", "secret", "token", "key"] as const;
const REDACTED = new Set<string>(REDACTED_KEYS);
const REDACTED_SUFFIX = /(password|secret|token)$/i;

/** `fields` with the value of every redacted key (REDACTED_KEYS) replaced, at any depth. */
export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6 || value === null || typeof value !== "object") return value;
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value instanceof Date) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = REDACTED.has(k.toLowerCase()) || REDACTED_SUFFIX.test(k) ? "[redacted]" : redact(v, depth + 1);
  }
  return out;
}

/**
 * Runs fn with `fields` (a request id) added to every line any logger writes
 * while it runs, including loggers made before it, such as the database's query
 * log, which knows nothing of requests.
 */
export function withLogContext<T>(fields: Record<string, unknown>, fn: () => T): T {
  return context.run(fields, fn);
}

/**
 * A JSON-lines logger that writes entries at `level` and above to `sink` (default stdout), each
 * carrying `base` and the current request's context fields.
 */
export function createLogger(
  level: LogLevel = "info",
  sink: LogSink = (line) => process.stdout.write(line + "\n"),
  base: Record<string, unknown> = {},
): Logger {
  const at = (lvl: Exclude<LogLevel, "silent">) => (msg: string, fields?: Record<string, unknown>) => {
    if (RANK[lvl] < RANK[level]) return;
    const extra = redact({ ...base, ...context.getStore(), ...fields }) as Record<string, unknown>;
    sink(JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...extra }));
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
    enabled: (lvl) => RANK[lvl] >= RANK[level],
  };
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger = createLogger("silent");
