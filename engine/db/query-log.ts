import type { Logger } from "../log.js";

/** Logs the statement's first words and its duration; never its parameters. */
export function logQuery(log: Logger, sql: string, startedAt: number, rowCount: number): void {
  const ms = performance.now() - startedAt;
  log.debug("query", {
    sql: sql.replace(/\s+/g, " ").trim().slice(0, 80),
    ms: Math.round(ms * 100) / 100,
    rows: rowCount,
  });
}
