import { serve } from "@hono/node-server";
import { ConfigError, loadConfig } from "./config.js";
import { createApp } from "./web/app.js";
import { createLogger } from "./log.js";
import { bootServices, purgeExpired } from "./start.js";
import type { Server } from "node:http";
import { installShutdown } from "./ops/shutdown.js";
import { startAuditRetention } from "./ops/audit-retention.js";
import { startBackupSchedule } from "./ops/backup-schedule.js";
import { answerClientErrors } from "./web/http/client-errors.js";

async function main() {
  let config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) {
      console.error(err.message);
      process.exit(2);
    }
    throw err;
  }
  const log = createLogger(config.LOG_LEVEL);
  const services = await bootServices(config, log, undefined, "the Formgate server");
  const first = await services.firstAdmin.ensure({ username: config.ADMIN_USERNAME, password: config.ADMIN_PASSWORD });
  const base = config.PUBLIC_URL ?? `http://localhost:${config.PORT}`;
  if (first.kind === "created") log.info("first administrator created", { username: first.user.username });
  if (first.kind === "setup-link") {
    // Printed, not logged: the link is a one-time secret for whoever started the server.
    const { count, validUntil } = first.earlierLinks;
    const earlier =
      count && validUntil
        ? `\n(${count === 1 ? "The link printed at an earlier start stays" : `The ${count} links printed at earlier starts stay`} valid until ${validUntil.toISOString()} unless one is used.)`
        : "";
    console.log(
      `\nNo administrator yet. Open this one-time link to create one (valid for 24 hours, until ${first.expiresAt.toISOString()}):\n  ${base}/setup/${first.token}${earlier}\n`,
    );
  }
  const shutdown = { shuttingDown: false };
  const app = createApp(services, shutdown);
  const server = serve({ fetch: app.fetch, port: config.PORT }, (info) => {
    log.info("listening", { port: info.port, url: `${base}/login`, database: services.db.backend });
  });
  answerClientErrors(server as Server);
  const purge = setInterval(() => void purgeExpired(services, log), 10 * 60_000);
  purge.unref();
  if (!services.mail.configured) log.warn("e-mail is not configured (SMTP_URL unset): mails are queued, not sent");
  // Every instance runs the mail loop: reminders due and the outbox, each mail sent once.
  const stopMail = services.mail.start(config.MAIL_POLL_SECONDS * 1000);
  const stopRetention = startAuditRetention(services, log);
  // BACKUP_SCHEDULE: the database closes only after a backup in progress has finished.
  const { stop: stopBackups } = startBackupSchedule(services, log);
  installShutdown({
    server: server as Server,
    log,
    flag: shutdown,
    stopLoops: [() => clearInterval(purge), stopMail, stopRetention, () => void stopBackups()],
    closeDb: () => stopBackups().then(() => services.db.close()),
  });
}

main().catch((err) => {
  console.error(`Formgate failed to start: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
