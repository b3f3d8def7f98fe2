import type { Db } from "../../engine/db/db.js";

/**
 * What a refused request (4xx) may change, and so what the snapshot leaves out. Everything else in
 * the public schema, every row and column, must be exactly as before.
 *
 * - throttles: counting failed attempts is what a 401/429 for a wrong password or code is for.
 * - sessions.last_seen_at / idle_expires_at / client_label, device_tokens.last_used_at / client_label:
 *   every request with a session or token slides them (idle expiry) and describes its client the
 *   first time; the session itself (its user, site and stage) is compared.
 * - device_challenges.failures: a wrong code counts against its challenge (401).
 * - audit_log rows of action mfa.lock: a burst of wrong codes that locks the account is audited; and
 *   sign_in.* entries of a failure or lock: a 401 for a wrong password or code is audited (per burst).
 * - mfa_pending_secrets: the transient key of an authenticator setup in progress; a setup page whose
 *   key has expired hands out a new one with its 422 ("add the new key below").
 * - webauthn_challenges: a passkey page shown again with its 4xx carries fresh WebAuthn options, so a
 *   fresh single-use challenge (the refused answer spent its own).
 * - sessions of users who may no longer sign in on the web (disabled, web access removed): they are dead
 *   already, and whichever request next presents one deletes it, whatever the answer.
 * - schema_migrations: never written at run time, left out to keep the hash cheap.
 */
const SKIPPED_TABLES = new Set(["throttles", "mfa_pending_secrets", "webauthn_challenges", "schema_migrations"]);
const SKIPPED_COLUMNS: Record<string, Set<string>> = {
  sessions: new Set(["last_seen_at", "idle_expires_at", "client_label"]),
  device_tokens: new Set(["last_used_at", "client_label"]),
  device_challenges: new Set(["failures"]),
};
const ROW_FILTER: Record<string, string> = {
  audit_log: "WHERE action <> 'mfa.lock' AND NOT (action LIKE 'sign_in.%' AND details->>'outcome' <> 'success')",
  sessions: "WHERE user_id IN (SELECT id FROM users WHERE NOT disabled AND web_access)",
};

/** Builds the one query that hashes every table (one md5 per table, rows in a stable order). */
export async function snapshotQuery(db: Db): Promise<string> {
  const { rows } = await db.query<{ table_name: string; column_name: string }>(
    `SELECT table_name, column_name FROM information_schema.columns
     WHERE table_schema = 'public' ORDER BY table_name, ordinal_position`,
  );
  const columns = new Map<string, string[]>();
  for (const r of rows) {
    if (SKIPPED_TABLES.has(r.table_name) || SKIPPED_COLUMNS[r.table_name]?.has(r.column_name)) continue;
    columns.set(r.table_name, [...(columns.get(r.table_name) ?? []), `"${r.column_name}"`]);
  }
  return [...columns]
    .map(
      ([table, cols]) =>
        `SELECT '${table}' AS t, md5(coalesce(string_agg(x, E'\\n' ORDER BY x), '')) AS h
         FROM (SELECT ROW(${cols.join(", ")})::text AS x FROM "${table}" ${ROW_FILTER[table] ?? ""}) s`,
    )
    .join(" UNION ALL ");
}

/** table -> hash of its rows, for comparing before and after a request. */
export async function snapshot(db: Db, query: string): Promise<Record<string, string>> {
  const { rows } = await db.query<{ t: string; h: string }>(query);
  return Object.fromEntries(rows.map((r) => [r.t, r.h]));
}

/** The tables whose hash differs. */
export function changedTables(before: Record<string, string>, after: Record<string, string>): string[] {
  return Object.keys({ ...before, ...after }).filter((t) => before[t] !== after[t]);
}
