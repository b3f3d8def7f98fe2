import { createHash } from "node:crypto";

/**
 * How many distinct statement texts get a name (a prepared statement on every connection that runs
 * them); texts beyond are sent unnamed, so a server that builds many texts (ad-hoc filters) keeps a
 * bounded set of prepared statements per connection.
 */
export const MAX_PREPARED_STATEMENTS = 500;

// Statements worth preparing: the ones that plan (utility statements such as BEGIN gain nothing).
const PREPARABLE = /^\s*(WITH|SELECT|INSERT|UPDATE|DELETE)\b/i;

/**
 * Names statement texts for named prepared statements (node-postgres's `{ name, text }`, PGlite's
 * Parse message in engine/db/pglite-prepared.ts): the same text always gets the same
 * name (`fg_` and 16 hex digits of its SHA-256), so each connection parses and plans a statement
 * once and then only binds and executes it. Undefined for a text that is not worth preparing, or
 * once MAX_PREPARED_STATEMENTS texts have a name.
 */
export function preparedStatementNamer(max = MAX_PREPARED_STATEMENTS): (sql: string) => string | undefined {
  const names = new Map<string, string>();
  return (sql) => {
    const known = names.get(sql);
    if (known !== undefined || names.size >= max || !PREPARABLE.test(sql)) return known;
    const name = `fg_${createHash("sha256").update(sql).digest("hex").slice(0, 16)}`;
    names.set(sql, name);
    return name;
  };
}

/**
 * PostgreSQL refuses to run a prepared statement whose result columns changed under it (a table
 * altered after a connection prepared `SELECT *`, error 0A000); the caller then sends it unnamed, once.
 */
export const isStalePlan = (err: unknown): boolean =>
  (err as { code?: unknown }).code === "0A000" && /cached plan must not change result type/.test(String(err));
