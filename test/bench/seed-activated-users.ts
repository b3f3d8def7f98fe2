// Users with MFA activated (an authenticator app), written straight into the database for the
// sign-in benchmarks: sign-in-bench.ts and code-step-bench.ts seed the same rows.
import type { Db } from "../../engine/db/db.js";
import type { SecretBox } from "../../engine/mfa/secret-box.js";

/**
 * Inserts `users` on `siteId` with the password hash `hash`, MFA on with delay 0 and an app
 * enrollment of each `secret` (SHA-1, 6 digits, 30 s: RFC 6238 defaults), all at `now`. The
 * secret is sealed as the engine seals an enrollment (engine/mfa/enrollment-activation.ts, context
 * `mfa-enrollment:ID`): if that changes, every code is refused and the benchmark stops with the
 * server's answer. Three statements, whatever the number of users.
 */
export async function insertActivatedUsers(
  db: Db,
  box: SecretBox,
  siteId: string,
  hash: string,
  now: Date,
  users: readonly { id: string; username: string; secret: Uint8Array }[],
): Promise<void> {
  const ids = users.map((u) => u.id);
  await db.query(
    `INSERT INTO users (id, site_id, username, password_hash, web_access, device_access, created_at, updated_at)
     SELECT id, $2, username, $3, true, true, $4, $4 FROM unnest($1::uuid[], $5::text[]) AS u(id, username)`,
    [ids, siteId, hash, now, users.map((u) => u.username)],
  );
  await db.query(
    `INSERT INTO mfa_settings (user_id, enabled, enforcement_delay_days, enabled_at, enabled_by_name, required_from, updated_at)
     SELECT id, true, 0, $2, 'bench', $2, $2 FROM unnest($1::uuid[]) AS id`,
    [ids, now],
  );
  await db.query(
    `INSERT INTO mfa_enrollments (user_id, method, secret_sealed, algorithm, digits, period_seconds, activated_at)
     SELECT id, 'app', sealed, 'SHA1', 6, 30, $3 FROM unnest($1::uuid[], $2::text[]) AS e(id, sealed)`,
    [ids, users.map((u) => box.seal(Buffer.from(u.secret), `mfa-enrollment:${u.id}`)), now],
  );
}
