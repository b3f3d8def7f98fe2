import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { type PartBuilder, type Sql, Statement, sql } from "../db/statement.js";
import { hashToken, newToken } from "../util/opaque-tokens.js";
import { credentialGate, type CredentialGate, epochIsCurrent, runGated } from "./credential-gate.js";
import type { CredentialKind } from "./revocation.js";
import type { Role } from "./user-accounts.js";

/** 'full' is signed in; the others are half-signed-in and reach only the MFA pages. */
export type SessionStage = "full" | "mfa" | "mfa_setup";

/**
 * How long sessions live, in seconds: without a request (idle), in total since sign-in (absolute),
 * and while half signed in (partial).
 */
export interface SessionPolicy {
  idleSeconds: number;
  absoluteSeconds: number;
  /** Half-signed-in sessions expire in minutes. */
  partialSeconds: number;
}

/**
 * Default session lifetimes: 30 minutes idle, 12 hours at most, 5 minutes for a half-signed-in
 * session.
 */
export const DEFAULT_SESSION_POLICY: SessionPolicy = {
  idleSeconds: 30 * 60,
  absoluteSeconds: 12 * 3600,
  partialSeconds: 5 * 60,
};

/**
 * A session as a request sees it: the SHA-256 hash of its token (the token itself is never stored),
 * its stage (full, or waiting for an MFA code or setup), the active site, expiry and the signed-in
 * user.
 */
export interface Session {
  tokenHash: Buffer;
  stage: SessionStage;
  activeSiteId: string;
  expiresAt: Date;
  user: {
    id: string;
    siteId: string;
    username: string;
    displayName: string;
    role: Role;
    disabled: boolean;
    webAccess: boolean;
  };
}

interface SessionRow {
  token_hash: Buffer | Uint8Array;
  stage: SessionStage;
  active_site_id: string;
  expires_at: Date;
  idle_expires_at: Date;
  last_seen_at: Date;
  user_id: string;
  site_id: string;
  username: string;
  display_name: string;
  role: Role;
  disabled: boolean;
  web_access: boolean;
  epoch_current: boolean;
  unlabelled: boolean;
}

/** Server-side sessions (The Copenhagen Book): a random token in the cookie, its SHA-256 in the table. */
export class Sessions implements CredentialKind {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    readonly policy: SessionPolicy = DEFAULT_SESSION_POLICY,
  ) {}

  /**
   * A session for `userId` with the user's epoch as it is now (no sign-in step: an administrator's
   * console, tests). Throws when the user does not exist.
   */
  async create(
    userId: string,
    activeSiteId: string,
    stage: SessionStage,
    clientAddress: string | null,
  ): Promise<{ token: string; expiresAt: Date }> {
    const st = new Statement();
    const gate = credentialGate.current(st, st.param(userId, "uuid"));
    const made = this.createIn(st, gate, st.param(activeSiteId, "uuid"), stage, clientAddress);
    const [row] = await st.run<{ done: boolean }>(this.db, sql`SELECT EXISTS (SELECT 1 FROM ${made.cte}) AS done`);
    if (!row?.done) throw new Error(`no user ${userId} to create a session for`);
    return { token: made.token, expiresAt: made.expiresAt };
  }

  /**
   * create as a part of a larger statement: inserts a session for the user of `gate` (the one
   * check every new credential passes, engine/auth/credential-gate.ts) with its credential epoch,
   * in `activeSiteId` (an SQL expression). Returns the new token, valid once the statement ran and
   * the CTE named `cte` has a row (it has none when the gate refused); its `stage` column is the
   * session's stage (`setupIf` may have made it mfa_setup).
   */
  createIn(
    st: Statement,
    gate: CredentialGate,
    activeSiteId: Sql,
    stage: SessionStage,
    clientAddress: string | null,
    setupIf?: Sql,
  ): { token: string; expiresAt: Date; cte: Sql } {
    const token = newToken();
    const now = this.clock.now();
    const lifetime = stage === "full" ? this.policy.absoluteSeconds : this.policy.partialSeconds;
    const idle = stage === "full" ? this.policy.idleSeconds : this.policy.partialSeconds;
    const expiresAt = new Date(now.getTime() + lifetime * 1000);
    const at = st.param(now, "timestamptz");
    // `setupIf` (an SQL condition): the session is made at stage mfa_setup, with its short lifetime, instead.
    const partialEnd = setupIf
      ? st.param(new Date(now.getTime() + this.policy.partialSeconds * 1000), "timestamptz")
      : sql``;
    const either = (value: Sql) => (setupIf ? sql`CASE WHEN ${setupIf} THEN ${partialEnd} ELSE ${value} END` : value);
    const stageSql = setupIf
      ? sql`CASE WHEN ${setupIf} THEN 'mfa_setup' ELSE ${st.param(stage, "text")} END`
      : st.param(stage, "text");
    const cte = st.with(
      "session",
      sql`INSERT INTO sessions (token_hash, user_id, active_site_id, stage, created_at, last_seen_at, idle_expires_at,
         expires_at, client_address, credential_epoch)
       SELECT ${st.param(hashToken(token), "bytea")}, g.user_id, ${activeSiteId}, ${stageSql}, ${at},
         ${at}, ${either(st.param(new Date(now.getTime() + idle * 1000), "timestamptz"))},
         ${either(st.param(expiresAt, "timestamptz"))}, ${st.param(clientAddress, "text")}, g.credential_epoch
       FROM ${gate} g
       RETURNING stage`,
    );
    return { token, expiresAt, cte };
  }

  /**
   * The live session for a token, sliding its idle expiry; null when unknown, expired or the user is
   * disabled. `clientLabel` (a short description of the browser, for /account) is written with the
   * once-a-minute last-seen update, or on the session's first request when it has none yet.
   */
  async validate(token: string, clientLabel?: string): Promise<Session | null> {
    const tokenHash = hashToken(token);
    const now = this.clock.now();
    const { rows } = await this.db.query<SessionRow>(
      `SELECT s.token_hash, s.stage, s.active_site_id, s.expires_at, s.idle_expires_at, s.last_seen_at,
              u.id AS user_id, u.site_id, u.username, u.display_name, u.role, u.disabled, u.web_access,
              ${epochIsCurrent(sql`s`, sql`u`)} AS epoch_current, s.client_label IS NULL AS unlabelled
       FROM sessions s JOIN users u ON u.id = s.user_id WHERE s.token_hash = $1`,
      [tokenHash],
    );
    const r = rows[0];
    if (!r) return null;
    // Web sessions end when the user is disabled or loses web access, not only at expiry, and a
    // session made under an earlier credential epoch (a sign-in that raced a change) is worth nothing.
    if (r.expires_at <= now || r.idle_expires_at <= now || r.disabled || !r.web_access || !r.epoch_current) {
      await this.db.query("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
      return null;
    }
    // Write the sliding expiry at most once a minute, not on every request.
    const stale = now.getTime() - new Date(r.last_seen_at).getTime() > 60_000;
    if (r.stage === "full" && (stale || (r.unlabelled && clientLabel))) {
      await this.db.query(
        "UPDATE sessions SET last_seen_at = $2, idle_expires_at = $3, client_label = coalesce($4, client_label) WHERE token_hash = $1",
        [tokenHash, now, new Date(now.getTime() + this.policy.idleSeconds * 1000), clientLabel?.slice(0, 80) ?? null],
      );
    }
    return {
      tokenHash,
      stage: r.stage,
      activeSiteId: r.active_site_id,
      expiresAt: r.expires_at,
      user: {
        id: r.user_id,
        siteId: r.site_id,
        username: r.username,
        displayName: r.display_name,
        role: r.role,
        disabled: r.disabled,
        webAccess: r.web_access,
      },
    };
  }

  /**
   * Replaces a session with a new token at a privilege change (sign-in step done,
   * site switched), so a token seen before the change is worth nothing after it.
   * Returns null, and issues nothing, when the old session no longer exists (it was
   * revoked or expired meanwhile): a revoked session must not come back as a new one.
   */
  async rotate(
    old: Session,
    changes: { stage?: SessionStage; activeSiteId?: string },
    clientAddress: string | null,
  ): Promise<{ token: string; expiresAt: Date } | null> {
    // One statement, not a transaction of two: the old token goes and the new one comes together,
    // and only if the old one was still there to delete and its epoch is still the user's.
    const st = new Statement();
    const gone = st.with(
      "rotated",
      sql`DELETE FROM sessions WHERE token_hash = ${st.param(old.tokenHash, "bytea")} RETURNING user_id, credential_epoch`,
    );
    const made = this.createIn(
      st,
      credentialGate.continuing(st, gone),
      st.param(changes.activeSiteId ?? old.activeSiteId, "uuid"),
      changes.stage ?? old.stage,
      clientAddress,
    );
    const rows = await runGated<{ done: boolean }>(st, this.db, sql`SELECT EXISTS (SELECT 1 FROM ${made.cte}) AS done`);
    return rows?.[0]?.done ? { token: made.token, expiresAt: made.expiresAt } : null;
  }

  /**
   * rotate as a part gated on `gate` (a CTE: a compare-and-set that won): the
   * old session is replaced only if it still exists then, so a session revoked
   * meanwhile (CredentialRevocation) finishes no sign-in. `setupIf` gives an SQL condition on the
   * user (their id as an SQL expression) under which the new session is at stage mfa_setup instead.
   */
  rotatePart(
    old: Session,
    changes: { stage?: SessionStage; setupIf?: (st: Statement, userId: Sql) => Sql },
    clientAddress: string | null,
  ): PartBuilder<{ token: string; expiresAt: Date }> {
    return (st, gate) => {
      const gone = st.with(
        "rotated",
        sql`DELETE FROM sessions WHERE token_hash = ${st.param(old.tokenHash, "bytea")}
           AND EXISTS (SELECT 1 FROM ${gate}) RETURNING user_id, credential_epoch`,
      );
      const made = this.createIn(
        st,
        credentialGate.continuing(st, gone),
        st.param(old.activeSiteId, "uuid"),
        changes.stage ?? old.stage,
        clientAddress,
        changes.setupIf?.(st, st.param(old.user.id, "uuid")),
      );
      return {
        done: sql`EXISTS (SELECT 1 FROM ${made.cte})`,
        value: { token: made.token, expiresAt: made.expiresAt },
        stage: sql`(SELECT stage FROM ${made.cte} WHERE stage = 'mfa_setup')`,
      };
    };
  }

  async revoke(tokenHash: Buffer): Promise<void> {
    await this.db.query("DELETE FROM sessions WHERE token_hash = $1", [tokenHash]);
  }

  /** revoke as a part of a larger statement. */
  revokeIn(st: Statement, tokenHash: Buffer): void {
    st.with("revoked", sql`DELETE FROM sessions WHERE token_hash = ${st.param(tokenHash, "bytea")}`);
  }

  readonly credentialKind = "webSessions";
  /** Sessions end with every credential change but the one that saves it (CredentialRevocation). */
  readonly credentialRows = { table: "sessions", hashColumn: "token_hash" } as const;

  async purgeExpired(): Promise<number> {
    const now = this.clock.now();
    return (await this.db.query("DELETE FROM sessions WHERE expires_at <= $1 OR idle_expires_at <= $1", [now]))
      .rowCount;
  }
}
