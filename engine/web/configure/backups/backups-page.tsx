/**
 * GET /configure/backups: the backups in DATA_DIR/backups (size, time, SHA-256, download), the
 * button that makes one now and the schedule; on PostgreSQL, how to back up with pg_dump instead.
 */
import { CsrfField, Layout } from "../../../render/layout.js";
import type { BackupMaker } from "../../../ops/backup-file.js";
import type { BackupEntry } from "../../../ops/backups.js";
import type { MfaFrame } from "../mfa/mfa-frame.js";
import { isoMinuteWithZone } from "../../../util/zoned-dates.js";

/** The pg_dump command the page shows with DATABASE_URL (never the URL itself: it holds a password). */
export const PG_DUMP_COMMAND =
  'pg_dump --format=custom --file=formgate-$(date -u +%Y%m%dT%H%M%SZ).dump "$DATABASE_URL"';
/** The pg_restore command for a dump of PG_DUMP_COMMAND (TIME: the dump's time in its name). */
export const PG_RESTORE_COMMAND = 'pg_restore --clean --if-exists --dbname="$DATABASE_URL" formgate-TIME.dump';

const MADE_BY: Record<BackupMaker, string> = {
  page: "By hand (this page)",
  schedule: "Schedule",
  cli: "formgate backup",
};

/** "2026-12-09 17:32 Europe/Berlin": a time in the site's zone, named, as the rest of the console shows one. */
function When(p: { at: Date; frame: MfaFrame }) {
  return <time datetime={p.at.toISOString()}>{isoMinuteWithZone(p.at, p.frame.timeZone)}</time>;
}

/** "1.4 MiB": a size for people (the exact bytes go in the title). */
export function sizeWords(bytes: number): string {
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 ** 3) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${(bytes / 1024 ** 3).toFixed(2)} GiB`;
}

/** Props of BackupsPage. */
export interface BackupsProps {
  frame: MfaFrame;
  /** False on PostgreSQL (DATABASE_URL): the page shows pg_dump instead. */
  available: boolean;
  /** Where the backups are (DATA_DIR/backups, absolute). */
  dir: string;
  backups: BackupEntry[];
  /** BACKUP_SCHEDULE as set, the number kept and the next run; null when no schedule is set. */
  schedule: { text: string; keep: number } | null;
  /** The schedule's last run when it failed (Backups.scheduleFailure). */
  scheduleFailure?: { at: Date; error: string } | null;
  /** Why Back up now made no backup, shown above the button. */
  error?: string | null;
}

/** GET /configure/backups. */
export function BackupsPage(p: BackupsProps) {
  const { frame } = p;
  return (
    <Layout title="Backups" csrfToken={frame.csrfToken} user={frame.user} siteName={frame.siteName}>
      <h1>Backups</h1>
      {p.available ? <EmbeddedBackups {...p} /> : <PostgresBackups />}
    </Layout>
  );
}

function PostgresBackups() {
  return (
    <section aria-labelledby="pg-title">
      <h2 id="pg-title">Back PostgreSQL up with pg_dump</h2>
      <p>
        This server keeps its data in PostgreSQL (<code>DATABASE_URL</code>), so Formgate does not make backups itself:
        use PostgreSQL's own tools, on a machine that can reach the database, for example every night from cron.
      </p>
      <pre>
        <code data-command="pg_dump">{PG_DUMP_COMMAND}</code>
      </pre>
      <p>To restore a dump (stop every Formgate instance first):</p>
      <pre>
        <code data-command="pg_restore">{PG_RESTORE_COMMAND}</code>
      </pre>
      <p>
        Keep <code>FORMGATE_SECRET_KEY</code> safe beside the dumps, not in them: the TOTP and hardware-token secrets in
        the database are encrypted with it.
      </p>
    </section>
  );
}

function EmbeddedBackups(p: BackupsProps) {
  return (
    <>
      <p>
        Backups of the embedded database, in <code>{p.dir}</code>. Each is taken from one consistent moment (requests
        wait for the few moments the copy takes) and written under a temporary name, renamed when complete. Restore one
        with the server stopped: <code>formgate restore FILE</code>.
      </p>
      {p.error ? (
        <p class="notice error" role="alert" id="backup-error">
          {p.error}
        </p>
      ) : null}
      <form method="post" action="/configure/backups">
        <CsrfField token={p.frame.csrfToken} />
        <button type="submit">Back up now</button>
      </form>
      <section aria-labelledby="schedule-title">
        <h2 id="schedule-title">Schedule</h2>
        {p.schedule ? (
          <p data-schedule>
            <code>BACKUP_SCHEDULE={p.schedule.text}</code> (UTC): the server makes a backup then and keeps the newest{" "}
            {p.schedule.keep} it made (<code>BACKUP_KEEP</code>); backups made by hand are never deleted.
          </p>
        ) : (
          <p data-schedule>
            No schedule: set <code>BACKUP_SCHEDULE</code> to <code>daily@02:00</code> (UTC) or <code>hourly</code>, and{" "}
            <code>BACKUP_KEEP</code> to how many to keep (7 when unset), then restart the server.
          </p>
        )}
        {p.scheduleFailure ? (
          <p class="notice error" role="alert" data-schedule-failure>
            The scheduled backup of <When at={p.scheduleFailure.at} frame={p.frame} /> failed: {p.scheduleFailure.error}
            .
          </p>
        ) : null}
      </section>
      <section aria-labelledby="list-title">
        <h2 id="list-title">Backups kept</h2>
        {p.backups.length ? (
          <div class="table-scroll">
            <table class="backups">
              <thead>
                <tr>
                  <th scope="col">Taken</th>
                  <th scope="col">File</th>
                  <th scope="col">Size</th>
                  <th scope="col">Made by</th>
                  <th scope="col">SHA-256 of the file</th>
                </tr>
              </thead>
              <tbody>
                {p.backups.map((b) => (
                  <tr data-backup={b.name}>
                    <td>
                      <When at={b.createdAt} frame={p.frame} />
                    </td>
                    <td>
                      <a href={`/configure/backups/${encodeURIComponent(b.name)}`} download={b.name}>
                        {b.name}
                      </a>
                      {b.damaged ? (
                        <strong class="damaged" data-damaged>
                          {" "}
                          Damaged, cannot be restored: {b.damaged}
                        </strong>
                      ) : null}
                    </td>
                    <td title={`${b.bytes} bytes`}>{sizeWords(b.bytes)}</td>
                    <td>{b.madeBy ? MADE_BY[b.madeBy] : "Unknown"}</td>
                    <td>
                      <code class="checksum">{b.sha256}</code>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        ) : (
          <p>No backup yet.</p>
        )}
        <p>
          The SHA-256 is the one <code>sha256sum FILE</code> prints: compare it after copying a backup elsewhere. A
          backup holds every account's password hash and the encrypted MFA secrets: keep it as safe as the server. The
          secret key (<code>DATA_DIR/secret.key</code> or <code>FORMGATE_SECRET_KEY</code>) is not in it; keep that
          separately, a restore needs it.
        </p>
      </section>
    </>
  );
}
