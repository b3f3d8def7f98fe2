/**
 * Configure > Backups, for administrators of the Public Site only (403 otherwise): GET
 * /configure/backups (the list, the schedule; pg_dump on PostgreSQL), POST /configure/backups (Back
 * up now: one consistent backup into DATA_DIR/backups while the server runs) and GET
 * /configure/backups/:name (the file, streamed as a download). Every backup made and downloaded is
 * audited on the Public Site.
 */
import { createReadStream, statSync } from "node:fs";
import { Readable } from "node:stream";
import { Hono, type Context, type MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { BackupNotWrittenError } from "../../../ops/backup-file.js";
import { DEFAULT_BACKUP_KEEP } from "../../../ops/backup-schedule.js";
import type { Services } from "../../../services.js";
import type { AppEnv } from "../../http/env.js";
import { flash } from "../../http/flash.js";
import { readForm } from "../../http/form-body.js";
import { signedIn, signInStepPath } from "../../http/guards.js";
import { sendPage } from "../../http/page.js";
import { pageFrameOf } from "../../http/page-frame.js";
import { BackupsPage, sizeWords } from "./backups-page.js";

/** Where Configure > Backups lives. */
export const BACKUPS_PATH = "/configure/backups";

/** The 403 message for anyone but an administrator of the Public Site. */
export const BACKUPS_NOT_ALLOWED =
  "Backups hold every site's data: only administrators of the Public Site can open Configure > Backups.";

/** The 409 message of Back up now on PostgreSQL. */
export const USE_PG_DUMP =
  "This server keeps its data in PostgreSQL (DATABASE_URL): back it up with pg_dump, as Configure > Backups shows.";

/** A name as the router accepts it; Backups.pathOf checks it again against BACKUP_FILE_NAME. */
const NAME_PARAM = ":name{[A-Za-z0-9][A-Za-z0-9._-]{0,200}\\.fgbackup}";

/** The routes of Configure > Backups (see the module comment). */
export function backupsRoutes(s: Services): Hono<AppEnv> {
  const app = new Hono<AppEnv>();
  const guard: MiddlewareHandler<AppEnv> = async (c, next) => {
    const session = c.var.session;
    if (!session || session.stage !== "full") return c.redirect(signInStepPath(session), 303);
    if (!(await s.sites.isPublicSiteAdmin(session.user)))
      throw new HTTPException(403, { message: BACKUPS_NOT_ALLOWED });
    return next();
  };
  app.use(BACKUPS_PATH, guard);
  app.use(`${BACKUPS_PATH}/*`, guard);

  const audit = (c: Context<AppEnv>, action: "backup.create" | "backup.download", file: string, bytes: number) => {
    const session = signedIn(c);
    return s.audit.record({
      siteId: session.user.siteId,
      actor: { id: session.user.id, name: session.user.username },
      action,
      details: { file, bytes },
    });
  };

  /** The page, with `error` when Back up now failed (answered with `status`). */
  const page = async (c: Context<AppEnv>, error: string | null = null, status: 200 | 500 | 507 = 200) => {
    const { BACKUP_SCHEDULE, BACKUP_KEEP } = s.config;
    return sendPage(
      c,
      <BackupsPage
        frame={await pageFrameOf(c, s.sites)}
        available={s.backups.available}
        dir={s.backups.dir}
        backups={s.backups.available ? await s.backups.list() : []}
        schedule={BACKUP_SCHEDULE ? { text: BACKUP_SCHEDULE, keep: BACKUP_KEEP ?? DEFAULT_BACKUP_KEEP } : null}
        scheduleFailure={BACKUP_SCHEDULE ? s.backups.scheduleFailure : null}
        error={error}
      />,
      status,
    );
  };

  app.get(BACKUPS_PATH, (c) => page(c));

  app.post(BACKUPS_PATH, async (c) => {
    await readForm(c);
    if (!s.backups.available) throw new HTTPException(409, { message: USE_PG_DUMP });
    let made;
    try {
      made = await s.backups.create("page");
    } catch (err) {
      // Not a bug of the request: the disk or the folder refused the file, and nothing was left
      // behind. The page again, saying why: 507 Insufficient Storage for space, else 500.
      if (!(err instanceof BackupNotWrittenError)) throw err;
      c.var.log.warn("backup failed", { error: err.message });
      return page(c, `No backup was made: ${err.message}.`, err.noSpace ? 507 : 500);
    }
    await audit(c, "backup.create", made.name, made.bytes);
    flash(c, `Backup ${made.name} made (${sizeWords(made.bytes)}, SHA-256 ${made.sha256.slice(0, 16)}…).`);
    return c.redirect(BACKUPS_PATH, 303);
  });

  app.get(`${BACKUPS_PATH}/${NAME_PARAM}`, async (c) => {
    const name = c.req.param("name");
    const path = s.backups.pathOf(name);
    if (!path) throw new HTTPException(404, { message: "No such backup." });
    const bytes = statSync(path).size;
    await audit(c, "backup.download", name, bytes);
    const body = Readable.toWeb(createReadStream(path)) as unknown as ReadableStream<Uint8Array>;
    return new Response(body, {
      headers: {
        "content-type": "application/octet-stream",
        "content-length": String(bytes),
        "content-disposition": `attachment; filename="${name}"`,
        "cache-control": "no-store",
        "x-content-type-options": "nosniff",
      },
    });
  });

  return app;
}
