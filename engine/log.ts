import { AsyncLocalStorage } from "node:async_hooks";

/** Structured JSON-lines logger. Callers pass facts, never secrets or SQL parameters. */
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
}

/** Where a logger writes: one JSON line per call, without the trailing newline. */
export type LogSink = (line: string) => void;

const context = new AsyncLocalStorage<Record<string, unknown>>();

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
    sink(
      JSON.stringify({ time: new Date().toISOString(), level: lvl, msg, ...base, ...context.getStore(), ...fields }),
    );
  };
  return {
    debug: at("debug"),
    info: at("info"),
    warn: at("warn"),
    error: at("error"),
    child: (fields) => createLogger(level, sink, { ...base, ...fields }),
  };
}

/** A logger that writes nothing, for tests and library use. */
export const silentLogger = createLogger("silent");
