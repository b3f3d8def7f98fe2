import { mkdirSync } from "node:fs";
import { join, resolve } from "node:path";
import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { Db } from "./db.js";
import { openPgDb } from "./pg-db.js";
import { openPgliteDb } from "./pglite-db.js";

/** DATABASE_URL selects PostgreSQL; otherwise the embedded database lives in DATA_DIR/pgdata. */
export async function openDb(config: Pick<Config, "DATABASE_URL" | "DATA_DIR">, log: Logger): Promise<Db> {
  if (config.DATABASE_URL) return openPgDb(config.DATABASE_URL, log.child({ component: "db" }));
  const dir = resolve(config.DATA_DIR);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  return openPgliteDb({ dataDir: join(dir, "pgdata") }, log.child({ component: "db" }));
}
