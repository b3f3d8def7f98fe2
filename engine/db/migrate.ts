import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { PATHS } from "../paths.js";
import type { Db } from "./db.js";

// Any constant works; all instances must agree on it.
const MIGRATION_LOCK_KEY = 7_417_001;

/**
 * One schema migration: its id (the file name without `.sql`, e.g. `007_hardware_tokens`) and its
 * SQL text.
 */
export interface Migration {
  id: string;
  sql: string;
}

/**
 * The migrations in `dir` (default `migrations/`): files named `NNN_words.sql`, read in id order;
 * other files are ignored.
 */
export function listMigrations(dir = PATHS.migrations): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{3}_[a-z0-9_]+\.sql$/.test(f))
    .sort()
    .map((f) => ({ id: f.replace(/\.sql$/, ""), sql: readFileSync(join(dir, f), "utf8") }));
}

/**
 * Applies pending migrations in one transaction under an advisory lock, so
 * instances starting at once apply each migration exactly once.
 * Returns the ids it applied.
 */
export async function migrate(db: Db, migrations = listMigrations()): Promise<string[]> {
  // Every start but the first after an upgrade: one read, no transaction or lock. Migrations are
  // only ever added, each in a committed transaction, so "all recorded" cannot be undone.
  if (await allRecorded(db, migrations)) return [];
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.query(
      "CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())",
    );
    const done = new Set((await tx.query<{ id: string }>("SELECT id FROM schema_migrations")).rows.map((r) => r.id));
    const applied: string[] = [];
    for (const m of migrations) {
      if (done.has(m.id)) continue;
      await tx.exec(m.sql);
      await tx.query("INSERT INTO schema_migrations (id) VALUES ($1)", [m.id]);
      applied.push(m.id);
    }
    return applied;
  });
}

async function allRecorded(db: Db, migrations: Migration[]): Promise<boolean> {
  let rows: { id: string }[];
  try {
    ({ rows } = await db.query<{ id: string }>("SELECT id FROM schema_migrations"));
  } catch {
    return false; // a new database: no schema_migrations yet
  }
  const done = new Set(rows.map((r) => r.id));
  return migrations.every((m) => done.has(m.id));
}
