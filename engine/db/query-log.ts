import type { Logger } from "../log.js";

/**
 * Logs the statement's first words and its duration at debug; never its parameters. Nothing is
 * built when the logger does not write debug lines (the hot path sends thousands a second).
 */
export function logQuery(log: Logger, sql: string, startedAt: number, rowCount: number): void {
  if (log.enabled?.("debug") === false) return;
  const ms = performance.now() - startedAt;
  log.debug("query", {
    sql: sql.replace(/\s+/g, " ").trim().slice(0, 80),
    ms: Math.round(ms * 100) / 100,
    rows: rowCount,
  });
}
