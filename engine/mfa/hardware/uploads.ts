import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import type { SecretBox } from "../secret-box.js";

/**
 * An uploaded token file waits here between its preview and the import, so
 * the admin confirms what they saw without uploading again and any instance
 * can finish the import. The file holds keys, so it is sealed; only the admin
 * who uploaded it can take it, and it expires after an hour.
 */

export const UPLOAD_LIFETIME_SECONDS = 3600;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const context = (id: string, userId: string) => `hardware-upload:${id}:${userId}`;

export interface StagedUpload {
  id: string;
  fileName: string;
  content: Buffer;
  preSharedKey?: string;
}

export class TokenUploads {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly box: SecretBox,
  ) {}

  async stage(userId: string, fileName: string, content: Buffer, preSharedKey?: string): Promise<string> {
    const now = this.clock.now();
    await this.db.query("DELETE FROM hardware_token_uploads WHERE expires_at <= $1 OR created_by = $2", [now, userId]);
    const { rows } = await this.db.query<{ id: string }>(
      `INSERT INTO hardware_token_uploads (created_by, created_at, expires_at, file_name, content_sealed)
       VALUES ($1, $2, $3, $4, '') RETURNING id`,
      [userId, now, new Date(now.getTime() + UPLOAD_LIFETIME_SECONDS * 1000), fileName],
    );
    const id = rows[0]!.id;
    // The key's JSON on the first line, then the file as uploaded.
    const payload = Buffer.concat([Buffer.from(JSON.stringify({ preSharedKey }) + "\n"), content]);
    await this.db.query("UPDATE hardware_token_uploads SET content_sealed = $2 WHERE id = $1", [
      id,
      this.box.seal(payload, context(id, userId)),
    ]);
    return id;
  }

  async take(id: string, userId: string): Promise<StagedUpload | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await this.db.query<{ file_name: string; content_sealed: string }>(
      `SELECT file_name, content_sealed FROM hardware_token_uploads
        WHERE id = $1 AND created_by = $2 AND expires_at > $3`,
      [id, userId, this.clock.now()],
    );
    if (!rows[0]) return null;
    const payload = this.box.open(rows[0].content_sealed, context(id, userId));
    const nl = payload.indexOf(10);
    const { preSharedKey } = JSON.parse(payload.subarray(0, nl).toString("utf8")) as { preSharedKey?: string };
    return { id, fileName: rows[0].file_name, content: payload.subarray(nl + 1), preSharedKey };
  }

  async discard(id: string): Promise<void> {
    if (UUID.test(id)) await this.db.query("DELETE FROM hardware_token_uploads WHERE id = $1", [id]);
  }
}
