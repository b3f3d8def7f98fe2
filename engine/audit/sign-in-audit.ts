import type { AuditAction } from "./audit-log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { foldSql } from "../db/fold.js";
import { type PartBuilder, type Sql, Statement, sql } from "../db/statement.js";

/** Where a sign-in happened: the web pages or the JSON device API. */
export type SignInSurface = "web" | "device";

/** Which step of a sign-in an entry is about: the password, the second factor's code, or a passkey (second factor or passwordless). */
export type SignInFactor = "password" | "code" | "passkey";

/** The audit actions of sign-in steps, one per factor; `details.outcome` says success, failure or locked. */
export const SIGN_IN_ACTIONS: Record<SignInFactor, AuditAction> = {
  password: "sign_in.password",
  code: "sign_in.code",
  passkey: "sign_in.passkey",
};

/**
 * Failures are recorded per burst: at most one `failure` entry per user, factor and surface within
 * this many seconds (a lock is always recorded, with its length). A flood of wrong passwords thus
 * writes at most 4 rows per user and quarter of an hour plus one per lock, which the throttle
 * (5 failures, then a doubling lock) spaces out anyway; unknown usernames write nothing.
 */
export const FAILURE_BURST_SECONDS = 15 * 60;

/** What every sign-in entry carries: the surface and the client address (TRUST_PROXY aware, engine/web/http/client-address.ts). */
export interface SignInContext {
  surface: SignInSurface;
  address: string | null;
}

/** A device API step's context, from its client address (the web's is webSignIn, engine/web/http/client-address.ts). */
export function deviceSignIn(address: string | null): SignInContext {
  return { surface: "device", address };
}

/**
 * Audit entries for sign-in steps (actions `sign_in.password`, `sign_in.code` and `sign_in.passkey`, the user both
 * actor and target, with their username as it was). Successes ride in the statement the step runs
 * anyway (a data-modifying CTE, engine/db/statement.ts): no round trip is added. A failure is one
 * INSERT … SELECT, written only for an existing user and at most once per burst
 * (FAILURE_BURST_SECONDS). Never a password or a code in the details.
 */
export class SignInAudit {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Adds to `st` the success entry of `factor` for the user `userId`, written only when the CTE
   * `made` (the new session, token or challenge) has a row. `stage` is where the sign-in goes on
   * (full, mfa, mfa_setup), or remembered_browser: full, a remembered browser skipped the code.
   * `next`: "passkey" when the second step asks for a passkey, not a code (details.next; see
   * passkeyNext, engine/mfa/sign-in-flow.ts).
   */
  successIn(
    st: Statement,
    userId: string,
    factor: SignInFactor,
    ctx: SignInContext,
    made: Sql,
    stage?: string,
    next?: "passkey",
  ): void {
    this.#insertIn(
      st,
      st.param(userId, "uuid"),
      factor,
      ctx,
      sql`EXISTS (SELECT 1 FROM ${made})`,
      stage ? { word: stage, next } : undefined,
    );
  }

  /**
   * `part` (a second step's finishing writes, PartBuilder: a code's or a passkey's) with its success
   * entry added to the same statement, written only when the part's own writes happened. The user is
   * the one the step's CTE `gate` names (its user_id column: the code's compare-and-set, the
   * passkey's counter update), so a passwordless sign-in, whose user the assertion found, is
   * recorded too. `stage`: "passwordless"; without it, the part's own `stage` (mfa_setup when the
   * statement sends the sign-in on to a setup the site's policy asks for, decided in SQL).
   */
  withSuccess<F>(
    factor: "code" | "passkey",
    part: PartBuilder<F>,
    ctx: SignInContext,
    stage?: "passwordless",
  ): PartBuilder<F> {
    return (st, gate) => {
      const made = part(st, gate);
      const decided = made.stage ? { decided: made.stage } : undefined;
      this.#insertIn(st, sql`(SELECT user_id FROM ${gate})`, factor, ctx, made.done, stage ? { word: stage } : decided);
      return made;
    };
  }

  /** `stage`: a word, or an SQL expression of the final query (NULL: no stage in the entry). */
  #insertIn(
    st: Statement,
    userId: Sql,
    factor: SignInFactor,
    ctx: SignInContext,
    when: Sql,
    stage?: { word: string; next?: "passkey" | undefined } | { decided: Sql },
  ): void {
    const word = stage && "word" in stage ? { stage: stage.word, ...(stage.next ? { next: stage.next } : {}) } : {};
    const fixed = st.param(
      JSON.stringify({ outcome: "success", surface: ctx.surface, address: ctx.address, ...word }),
      "jsonb",
    );
    const details =
      stage && "decided" in stage
        ? sql`${fixed} || jsonb_strip_nulls(jsonb_build_object('stage', ${stage.decided}))`
        : fixed;
    st.with(
      "sign_in_audit",
      sql`INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       SELECT ${st.param(this.clock.now(), "timestamptz")}, u.site_id, u.id, u.username,
         ${st.param(SIGN_IN_ACTIONS[factor], "text")}, u.id, u.username, ${details}
       FROM users u WHERE u.id = ${userId} AND ${when}`,
    );
  }

  /**
   * Records a failed step of the user `who` (by id, or by username as typed, any case): a lock
   * when `lockSeconds` is given (this attempt set the lock; always written), else a failure, written only
   * when the user has no failure entry of this factor and surface in the last FAILURE_BURST_SECONDS.
   * `currentPassword`: the password was a signed-in user's, asked again (PasswordConfirmation); its
   * entries say so (`details.currentPassword`) and keep bursts of their own, so a session's guesses
   * are never hidden behind the sign-in form's.
   * One statement; nothing for an unknown user. Resolves to whether an entry was written.
   */
  async failure(
    who: { id: string } | { username: string },
    factor: SignInFactor,
    ctx: SignInContext,
    lockSeconds?: number,
    currentPassword = false,
  ): Promise<boolean> {
    const now = this.clock.now();
    const st = new Statement();
    const action = st.param(SIGN_IN_ACTIONS[factor], "text");
    const locked = lockSeconds !== undefined;
    const details = {
      outcome: locked ? "locked" : "failure",
      surface: ctx.surface,
      address: ctx.address,
      lockSeconds,
      ...(currentPassword ? { currentPassword: true } : {}),
    };
    const match =
      "id" in who
        ? sql`u.id = ${st.param(who.id, "uuid")}`
        : sql`${foldSql(sql`u.username`)} = ${foldSql(st.param(who.username, "text"))}`;
    const since = st.param(new Date(now.getTime() - FAILURE_BURST_SECONDS * 1000), "timestamptz");
    const rows = await st.run<{ id: string }>(
      this.db,
      sql`INSERT INTO audit_log (at, site_id, actor_id, actor_name, action, target_user_id, target_name, details)
       SELECT ${st.param(now, "timestamptz")}, u.site_id, u.id, u.username, ${action}, u.id, u.username,
         ${st.param(JSON.stringify(details), "jsonb")}
       FROM users u WHERE ${match}
         AND (${st.param(locked, "bool")} OR NOT EXISTS (
           SELECT 1 FROM audit_log a WHERE a.target_user_id = u.id AND a.action = ${action} AND a.at > ${since}
             AND a.details->>'outcome' = 'failure' AND a.details->>'surface' = ${st.param(ctx.surface, "text")}
             AND (a.details->>'currentPassword') IS NOT DISTINCT FROM ${st.param(currentPassword ? "true" : null, "text")}))
       RETURNING id`,
    );
    return rows.length > 0;
  }
}
