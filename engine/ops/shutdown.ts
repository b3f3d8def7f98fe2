import type { Server } from "node:http";
import type { Logger } from "../log.js";

/** How long requests in flight may take to finish after SIGTERM/SIGINT before the process exits anyway. */
export const SHUTDOWN_GRACE_MS = 10_000;

/** What a clean shutdown stops, in order: the flag /health/ready reads, the loops, the server, the database. */
export interface ShutdownParts {
  server: Pick<Server, "close" | "closeIdleConnections" | "closeAllConnections">;
  log: Logger;
  /** Set first: /health/ready answers 503 "shutting down" from then on. */
  flag: { shuttingDown: boolean };
  /** Background loops (purge, mail, backups, retention): each stops its timer. */
  stopLoops: (() => void)[];
  closeDb: () => Promise<void>;
  exit?: (code: number) => void;
  graceMs?: number;
}

/**
 * Installs SIGTERM and SIGINT handlers: the first signal stops accepting connections, stops the
 * background loops, lets requests in flight finish (up to `graceMs`, 10 s), closes the database and
 * exits 0 (1 when the grace ran out with requests unfinished); a second signal exits 1 at once.
 * Returns the handler, for tests that call it without a signal.
 */
export function installShutdown(parts: ShutdownParts): () => void {
  const exit = parts.exit ?? ((code: number) => process.exit(code));
  let started = false;
  const stop = () => {
    if (started) {
      parts.log.warn("second signal: exiting at once");
      exit(1);
      return;
    }
    started = true;
    parts.flag.shuttingDown = true;
    parts.log.info("shutting down: finishing requests in flight", {
      graceSeconds: (parts.graceMs ?? SHUTDOWN_GRACE_MS) / 1000,
    });
    for (const stopLoop of parts.stopLoops) stopLoop();
    const forced = setTimeout(() => {
      parts.log.warn("requests still running after the grace period: closing them");
      parts.server.closeAllConnections();
      void parts.closeDb().finally(() => exit(1));
    }, parts.graceMs ?? SHUTDOWN_GRACE_MS);
    forced.unref();
    // Stops accepting; the callback runs once every connection has ended.
    parts.server.close(() => {
      clearTimeout(forced);
      void parts
        .closeDb()
        .then(() => {
          parts.log.info("stopped");
          exit(0);
        })
        .catch((err: Error) => {
          parts.log.error("closing the database failed", { error: err.message });
          exit(1);
        });
    });
    // Keep-alive connections with no request in flight would hold close() up: end them now.
    parts.server.closeIdleConnections();
  };
  process.on("SIGINT", stop);
  process.on("SIGTERM", stop);
  return stop;
}
