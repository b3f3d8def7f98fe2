// Case folding of identifiers (usernames, serial numbers) in one place, independent of the
// database's collation: PostgreSQL's lower() follows the database locale (on an ICU `tr-TR`
// database it maps `I` to dotless `ı`), so SQL folds under COLLATE "C", which maps A-Z only,
// and JavaScript folds the same letters the same way.

import { type Sql, sql } from "./statement.js";

/**
 * SQL that folds the text expression `expr` to lower case: A-Z to a-z, every other character
 * as it is, whatever the database's locale. Matches {@link foldKey}. The unique index on
 * usernames (migration 012) uses the same expression.
 */
export function foldSql(expr: Sql): Sql {
  return sql`lower((${expr}) COLLATE "C")`;
}

/** `text` folded the way {@link foldSql} folds it in SQL: A-Z to a-z, nothing else. */
export function foldKey(text: string): string {
  return text.replace(/[A-Z]+/g, (s) => s.toLowerCase());
}
