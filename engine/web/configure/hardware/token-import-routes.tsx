// The token file import of Configure > MFA Hardware: upload and preview, the import itself (all or
// nothing, answered with a redirect so a refresh sends nothing again) and its cancel. Mounted by
// mfaHardwareRoutes behind its Public Site administrators' guard.
import type { Context, Hono, MiddlewareHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Session } from "../../../auth/sessions.js";
import { GoneError } from "../../../errors.js";
import { ImportFileError } from "../../../mfa/hardware/csv-formats.js";
import { type CompletedImport, ImportRefused } from "../../../mfa/hardware/import-report.js";
import { MAX_PSKC_PASSWORD_CHARS } from "../../../mfa/hardware/pskc.js";
import { compileSchema } from "../../../schema/ajv.js";
import type { Services } from "../../../services.js";
import { DEFAULT_TIME_ZONE, minuteIn } from "../../../util/zoned-dates.js";
import { declaredBodyLimit } from "../../http/body-limit.js";
import type { AppEnv } from "../../http/env.js";
import { flash } from "../../http/flash.js";
import { readForm } from "../../http/form-body.js";
import { sendPage } from "../../http/page.js";
import { BASE } from "./token-list-pages.js";
import { importedMessage, ImportPage, PreviewPage } from "./token-import-pages.js";

/**
 * Path of the token file import form (`/configure/mfa-hardware/import`); previews and imports hang
 * under it.
 */
export const TOKEN_IMPORT_PATH = `${BASE}/import`;
/** Token files are larger than forms: 100,000 tokens of CSV are about 10 MiB. */
export const TOKEN_IMPORT_BODY_LIMIT_BYTES = 32 * 1024 * 1024;

/** The import page's message under the file field for a file over the limit. */
export const FILE_TOO_LARGE = `The file is too large (at most ${TOKEN_IMPORT_BODY_LIMIT_BYTES >> 20} MiB): split it and import the parts one after another.`;

/**
 * The GETs of the import page the limit below makes for an upload over it (this module's own
 * Request objects: a client cannot send one).
 */
const tooLargeUploads = new WeakSet<Request>();

/**
 * Mounted by the app in place of the default limit for the import route only. A file over the limit
 * is answered with the import page and the message on the file field, still a 413: the body is
 * never read, so the page is the app's own GET of the import page with the same cookies (session,
 * CSRF token, the administrators' guard), marked as the answer to a file that was too large;
 * whoever may not open that page gets the message as text.
 */
export const tokenImportBodyLimit = (app: {
  fetch: (request: Request, env?: unknown) => Response | Promise<Response>;
}): MiddlewareHandler =>
  declaredBodyLimit(TOKEN_IMPORT_BODY_LIMIT_BYTES, async (c) => {
    const headers = new Headers(c.req.raw.headers);
    for (const name of ["content-length", "content-type", "transfer-encoding", "hx-request", "hx-target"])
      headers.delete(name);
    const page = new Request(new URL(TOKEN_IMPORT_PATH, c.req.url), { headers });
    tooLargeUploads.add(page);
    const answer = await app.fetch(page, c.env);
    // Someone who may not open the page (signed out, not a Public Site administrator) gets the bare 413.
    if (!answer.ok) return c.text(FILE_TOO_LARGE, 413);
    return new Response(answer.body, { status: 413, headers: answer.headers });
  });

const commitForm = compileSchema<{ skipBad?: "yes"; expectedBad?: string }>({
  type: "object",
  properties: {
    skipBad: { const: "yes" },
    expectedBad: { type: "string", pattern: "^[0-9]{1,9}$" },
  },
  additionalProperties: true,
});

/** What the import routes share with the rest of MFA Hardware's routes. */
export interface ImportRouteContext {
  /** The page frame's props for the signed-in administrator. */
  common: (c: Context<AppEnv>) => Promise<{
    csrfToken: string;
    user: Session["user"];
    siteName: string | undefined;
    activeSiteId: string;
    /** The active site's time zone, in which the pages show times. */
    timeZone: string;
  }>;
  actorOf: (session: Session) => { id: string; name: string };
  publicSiteId: () => Promise<string>;
}

/**
 * Adds the import routes to `app` (`GET/POST /configure/mfa-hardware/import`, `POST …/:uploadId`
 * to import a previewed upload, `POST …/:uploadId/cancel`); errors go through the one mapping
 * (410 for an expired preview, 422 for a refused file or import).
 */
export function tokenImportRoutes(app: Hono<AppEnv>, s: Services, x: ImportRouteContext): void {
  const h = s.hardware;
  const { common, actorOf, publicSiteId } = x;

  app.get(TOKEN_IMPORT_PATH, async (c) =>
    sendPage(
      c,
      <ImportPage {...await common(c)} {...(tooLargeUploads.has(c.req.raw) ? { error: FILE_TOO_LARGE } : {})} />,
    ),
  );

  app.post(TOKEN_IMPORT_PATH, async (c) => {
    const session = c.var.session!;
    const form = await readForm(c, { files: "accept", onInvalid: "report", labels: { file: "The file name" } });
    if (form.unstorable.length) {
      return sendPage(c, <ImportPage {...await common(c)} error={form.errors[form.unstorable[0]!]} />, 422);
    }
    const body = { ...form.one, ...form.files };
    const file = body.file;
    // A browser sends an empty part without a name when no file was chosen; a named one is an empty file.
    if (!(file instanceof File) || (file.size === 0 && !file.name)) {
      return sendPage(c, <ImportPage {...await common(c)} error="Choose a token file (CSV or PSKC)." />, 422);
    }
    if (file.size === 0) {
      const name = (file.name.split(/[\\/]/).pop() ?? "").slice(0, 200);
      const error = `The file ${name} is empty (0 bytes): choose the token file from the manufacturer.`;
      return sendPage(c, <ImportPage {...await common(c)} error={error} />, 422);
    }
    const preSharedKey =
      typeof body.preSharedKey === "string" && body.preSharedKey.trim() ? body.preSharedKey : undefined;
    if (preSharedKey && preSharedKey.length > 100) {
      return sendPage(c, <ImportPage {...await common(c)} error="The pre-shared key is too long." />, 422);
    }
    // Taken as typed: spaces may be part of a password.
    const password = typeof body.password === "string" && body.password !== "" ? body.password : undefined;
    if (password && password.length > MAX_PSKC_PASSWORD_CHARS) {
      return sendPage(c, <ImportPage {...await common(c)} error="The password is too long." />, 422);
    }
    const fileName = (file.name.split(/[\\/]/).pop() || "upload").slice(0, 200);
    const content = Buffer.from(await file.arrayBuffer());
    let report;
    try {
      report = await h.importer.preview(once(content), { fileName, preSharedKey, password });
    } catch (err) {
      if (err instanceof ImportFileError) {
        return sendPage(
          c,
          <ImportPage {...await common(c)} error={`This file cannot be imported: ${err.message}.`} />,
          422,
        );
      }
      throw err;
    }
    const uploadId = await h.uploads.stage(session.user.id, fileName, content, { preSharedKey, password });
    return sendPage(c, <PreviewPage {...await common(c)} report={report} uploadId={uploadId} />);
  });

  /**
   * Post/Redirect/Get to the token list with the one-time message of import `done`: a refresh or
   * Back of the next page sends nothing again. `again` for a confirm sent after the import was done.
   */
  const toImported = async (c: Context<AppEnv>, done: CompletedImport, again: boolean) => {
    const zone = (await s.sites.byId(c.var.session!.activeSiteId))?.timeZone ?? DEFAULT_TIME_ZONE;
    flash(c, importedMessage(done, again ? minuteIn(done.at, zone) : null));
    return c.redirect(BASE, 303);
  };

  app.post(`${TOKEN_IMPORT_PATH}/:uploadId`, async (c) => {
    const session = c.var.session!;
    const f = (await readForm(c)).one;
    if (!commitForm(f)) throw new HTTPException(400, { message: "The confirmation form is not valid." });
    const uploadId = c.req.param("uploadId");
    const upload = await h.uploads.take(uploadId, session.user.id);
    // The same confirm sent again (refresh, Back): the import was done, and the preview with it.
    const earlier = async () =>
      /^[0-9a-f-]{36}$/.test(uploadId) ? await h.importer.completed(uploadId, session.user.id) : null;
    if (!upload) {
      const done = await earlier();
      if (done) return toImported(c, done, true);
      throw new GoneError("This import preview has expired or was already used. Upload the file again.", {
        code: "import_preview_expired",
      });
    }
    try {
      const report = await h.importer.commit(once(upload.content), {
        fileName: upload.fileName,
        preSharedKey: upload.preSharedKey,
        password: upload.password,
        actor: actorOf(session),
        siteId: await publicSiteId(),
        skipBad: f.skipBad === "yes",
        expectedBad: f.expectedBad !== undefined ? Number(f.expectedBad) : undefined,
        importId: upload.id,
      });
      await h.uploads.discard(upload.id);
      const done = {
        at: s.clock.now(),
        fileName: report.fileName,
        imported: report.imported,
        skipped: report.badCount,
      };
      return toImported(c, done, false);
    } catch (err) {
      if (err instanceof ImportRefused) {
        // Two sends at once: the other one imported the file (its serials are now taken).
        const done = await earlier();
        if (done) return toImported(c, done, true);
        return sendPage(
          c,
          <PreviewPage {...await common(c)} report={err.report} uploadId={upload.id} message={err.message} />,
          422,
        );
      }
      if (err instanceof ImportFileError) {
        return sendPage(
          c,
          <ImportPage {...await common(c)} error={`This file cannot be imported: ${err.message}.`} />,
          422,
        );
      }
      throw err;
    }
  });

  app.post(`${TOKEN_IMPORT_PATH}/:uploadId/cancel`, async (c) => {
    const upload = await h.uploads.take(c.req.param("uploadId"), c.var.session!.user.id);
    if (upload) await h.uploads.discard(upload.id);
    return c.redirect(TOKEN_IMPORT_PATH, 303);
  });
}

// eslint-disable-next-line @typescript-eslint/require-await -- the file is in memory; the reader takes a stream
async function* once(content: Buffer): AsyncGenerator<Buffer> {
  // In slices, so the CSV reader decodes and parses the way it does a stream.
  for (let i = 0; i < content.length; i += 64 * 1024) yield content.subarray(i, i + 64 * 1024);
}
