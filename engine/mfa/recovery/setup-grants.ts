import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import { type Sql, type Statement, sql } from "../../db/statement.js";
import { hashToken } from "../../util/opaque-tokens.js";

/** How a session without the usual factor was signed in: with a recovery code or a temporary access pass. */
export type SetupGrantKind = "recovery_code" | "access_pass";

/**
 * The mark on a web session signed in with a recovery code or an access pass: it may set up a new
 * factor that replaces the user's current one (/mfa/setup in replacement mode). The grant is a row
 * keyed by the session's token hash and dies with the session (rotation after the new factor,
 * sign-out, any revocation).
 */
export class SetupGrants {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds the grant for the session whose token is `token` (made in the same statement) as a CTE of
   * `st`: one row per row of `gate` (a CTE with user_id), written only when `done` (an SQL
   * condition: the session was made) holds.
   */
  grantIn(st: Statement, gate: Sql, done: Sql, token: string, kind: SetupGrantKind): void {
    st.with(
      "setup_grant",
      sql`INSERT INTO mfa_setup_grants (token_hash, user_id, kind, created_at)
       SELECT ${st.param(hashToken(token), "bytea")}, user_id, ${st.param(kind, "text")},
         ${st.param(this.clock.now(), "timestamptz")} FROM ${gate} WHERE ${done}`,
    );
  }

  /** The grant of the session with this token hash, or null. */
  async of(tokenHash: Buffer): Promise<SetupGrantKind | null> {
    const { rows } = await this.db.query<{ kind: SetupGrantKind }>(
      "SELECT kind FROM mfa_setup_grants WHERE token_hash = $1",
      [tokenHash],
    );
    return rows[0]?.kind ?? null;
  }
}
