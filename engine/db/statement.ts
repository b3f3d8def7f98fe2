import type { Db } from "./db.js";

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
  param(value: unknown, type: string): string {
    this.params.push(value);
    return `$${this.params.length}::${type}`;
  }

  /** Adds `name_N AS (sql)` and returns that unique name. */
  with(name: string, sql: string): string {
    const unique = `${name}_${this.#ctes.length + 1}`;
    this.#ctes.push(`${unique} AS (${sql})`);
    return unique;
  }

  /** The statement text, with `select` as its final query. */
  text(select: string): string {
    return this.#ctes.length ? `WITH ${this.#ctes.join(",\n")}\n${select}` : select;
  }

  /** Runs the statement (one round trip); the rows of `select`. */
  async run<T>(db: Db, select: string): Promise<T[]> {
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
  done: string;
  value: F;
}

/** Builds a part from the name of a gate CTE whose rows carry `user_id` (empty: the part writes nothing). */
export type PartBuilder<F> = (st: Statement, gate: string) => StatementPart<F>;
