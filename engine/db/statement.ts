import type { Db } from "./db.js";

declare const sqlBrand: unique symbol;

/**
 * A fragment of SQL text that only this module makes: the `sql` tagged template (constant
 * source text), `Statement.param` (a placeholder), `Statement.with` (a CTE name). A caller
 * cannot pass a plain string where SQL goes, so no value reaches a statement's text except as
 * a parameter — as `SafeHtml` is for markup (engine/web/html).
 */
export type Sql = string & { readonly [sqlBrand]: true };

/**
 * Constant SQL as a tagged template: the literal parts are source text, and every
 * interpolation must itself be `Sql` (a placeholder, a CTE name, another fragment). The
 * result is the text an untagged template would give, byte for byte (prepared statements
 * are keyed by text).
 */
export function sql(strings: TemplateStringsArray, ...parts: Sql[]): Sql {
  let text = strings[0]!;
  for (let i = 0; i < parts.length; i++) text += parts[i]! + strings[i + 1]!;
  return text as Sql;
}

/** A type name for a cast, or a CTE name: lower-case letters, digits and `_` (thrown otherwise). */
function identifier(name: string): string {
  if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not an SQL identifier: ${JSON.stringify(name)}`);
  return name;
}

/**
 * One SQL statement assembled from parts that several services add: parameters
 * and common table expressions, data-modifying ones included (PostgreSQL runs
 * them all in the statement's one snapshot, atomically). A sign-in step thereby
 * costs one round trip however many tables it reads or writes, without a
 * transaction of several statements. Parts refer to each other by the names
 * `with` returns; every value goes in as a parameter.
 */
export class Statement {
  readonly params: unknown[] = [];
  readonly #ctes: string[] = [];

  /**
   * Adds a parameter and returns its placeholder with a cast (`$3::timestamptz`):
   * parameters in an INSERT … SELECT list have no type PostgreSQL could infer.
   */
  param(value: unknown, type: string): Sql {
    this.params.push(value);
    return `$${this.params.length}::${identifier(type)}` as Sql;
  }

  /** Adds `name_N AS (body)` and returns that unique name (`name`: an identifier, thrown otherwise). */
  with(name: string, body: Sql): Sql {
    const unique = `${identifier(name)}_${this.#ctes.length + 1}` as Sql;
    this.#ctes.push(`${unique} AS (${body})`);
    return unique;
  }

  /** The statement text, with `select` as its final query. */
  text(select: Sql): string {
    return this.#ctes.length ? `WITH ${this.#ctes.join(",\n")}\n${select}` : select;
  }

  /** Runs the statement (one round trip); the rows of `select`. */
  async run<T>(db: Db, select: Sql): Promise<T[]> {
    return (await db.query<T>(this.text(select), this.params)).rows;
  }
}

/**
 * A part a caller adds to another service's statement, run only when that
 * statement's gate passes (a compare-and-set won): `done` is an SQL expression
 * of the final query that is true when the part's writes happened, `value`
 * what the caller gets then (a new token).
 */
export interface StatementPart<F> {
  done: Sql;
  value: F;
  /**
   * Where a sign-in goes on to when the statement decides it (a setup the site's policy asks for):
   * an SQL expression of the final query, 'mfa_setup' then and NULL otherwise. Absent: decided by
   * the caller.
   */
  stage?: Sql;
}

/** Builds a part from the name of a gate CTE whose rows carry `user_id` (empty: the part writes nothing). */
export type PartBuilder<F> = (st: Statement, gate: Sql) => StatementPart<F>;
