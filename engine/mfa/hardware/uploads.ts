import type { Clock } from "../../clock.js";
import { isUuid } from "../../util/uuid.js";
import type { Db } from "../../db/db.js";
import type { SecretBox } from "../secret-box.js";

/**
 * An uploaded token file waits here between its preview and the import, so
 * the admin confirms what they saw without uploading again and any instance
 * can finish the import. The file holds keys, so it is sealed; only the admin
 * who uploaded it can take it, and it expires after an hour.
 */

export const UPLOAD_LIFETIME_SECONDS = 3600;
const context = (id: string, userId: string) => `hardware-upload:${id}:${userId}`;

/** What opens an encrypted PSKC file; it waits sealed with the file and is never shown again. */
export interface UploadCredentials {
  preSharedKey?: string;
  password?: string;
}

/**
 * A staged token file taken back for import: its id, name, content and the credentials of an
 * encrypted PSKC file.
 */
export interface StagedUpload extends UploadCredentials {
  id: string;
  fileName: string;
  content: Buffer;
}

/**
 * Staged token files between preview and import, sealed with the SecretBox: `stage` keeps one per
 * admin (replacing the earlier one, dropping expired ones) and returns its id, `take` gives it back
 * only to the admin who staged it before UPLOAD_LIFETIME_SECONDS pass (else null), `discard`
 * deletes it.
 */
export class TokenUploads {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {}

  async stage(userId: string, fileName: string, content: Buffer, credentials: UploadCredentials = {}): Promise<string> {
    const now = this.clock.now();
    await this.db.query("DELETE FROM hardware_token_uploads WHERE expires_at <= $1 OR created_by = $2", [now, userId]);
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO hardware_token_uploads (created_by, created_at, expires_at, file_name, content_sealed)
       VALUES ($1, $2, $3, $4, '') RETURNING id`,
      [userId, now, new Date(now.getTime() + UPLOAD_LIFETIME_SECONDS * 1000), fileName],
    );
    const id = rows[0]!.id;
    // The pre-shared key and password as JSON on the first line, then the file as uploaded.
    const { preSharedKey, password } = credentials;
    const payload = Buffer.concat([Buffer.from(JSON.stringify({ preSharedKey, password }) + "\n"), content]);
    await this.db.query("UPDATE hardware_token_uploads SET content_sealed = $2 WHERE id = $1", [
      id,
      this.box.seal(payload, context(id, userId)),
    ]);
    return id;
  }

  async take(id: string, userId: string): Promise<StagedUpload | null> {
    if (!isUuid(id)) return null;
    const { rows } = await this.db.query<{ file_name: string; content_sealed: string }>(
      `SELECT file_name, content_sealed FROM hardware_token_uploads
        WHERE id = $1 AND created_by = $2 AND expires_at > $3`,
      [id, userId, this.clock.now()],
    );
    if (!rows[0]) return null;
    const payload = this.box.open(rows[0].content_sealed, context(id, userId));
    const nl = payload.indexOf(10);
    const { preSharedKey, password } = JSON.parse(payload.subarray(0, nl).toString("utf8")) as UploadCredentials;
    return { id, fileName: rows[0].file_name, content: payload.subarray(nl + 1), preSharedKey, password };
  }

  async discard(id: string): Promise<void> {
    if (isUuid(id)) await this.db.query("DELETE FROM hardware_token_uploads WHERE id = $1", [id]);
  }
}
