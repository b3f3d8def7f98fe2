import { systemClock, type Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db/db.js";
import { migrate } from "./db/migrate.js";
import { openDb } from "./db/open.js";
import type { Logger } from "./log.js";
import { loadSecretKey } from "./secret-key.js";
import { createServices, type Services } from "./services.js";

/**
 * Opens the database, applies migrations and builds the services: shared by the server and the CLI.
 * `by` names the process for the embedded data directory's lock (see openDb); throws
 * DataDirInUseError when another process has that directory open.
 */
export async function bootServices(
  config: Config,
  log: Logger,
  clock: Clock = systemClock,
  by?: string,
): Promise<Services> {
  const secretKey = loadSecretKey(config);
  const db: Db = await openDb(config, log, by);
  try {
    const applied = await migrate(db);
    if (applied.length) log.info("migrations applied", { migrations: applied });
  } catch (err) {
    await db.close();
    throw err;
  }
  return createServices(db, clock, config, log, secretKey);
}

/**
 * Deletes expired web sessions, device tokens and device challenges (the server runs it every ten
 * minutes). Never throws: a failure (the database down) is retried at the next run and logged as one
 * line, no stack, no secret.
 */
export async function purgeExpired(
  services: Pick<Services, "sessions" | "deviceTokens" | "deviceChallenges" | "pendingPosts">,
  log: Logger,
): Promise<void> {
  try {
    await Promise.all([
      services.sessions.purgeExpired(),
      services.deviceTokens.purgeExpired(),
      services.deviceChallenges.purgeExpired(),
      services.pendingPosts.purgeExpired(),
    ]);
  } catch (err) {
    log.error("purge of expired sessions and device tokens failed", { error: (err as Error).message });
  }
}
