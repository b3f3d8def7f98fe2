import type { SignInContext } from "../../audit/sign-in-audit.js";
import type { AuditLog } from "../../audit/audit-log.js";
import { ACCOUNT_POLICY, type Throttle } from "../../auth/throttle.js";
import type { Db } from "../../db/db.js";
import type { Notices } from "../../mail/mail-model.js";
import { type PartBuilder, Statement, sql } from "../../db/statement.js";
import { isUuid } from "../../util/uuid.js";
import { failedAttempt } from "../code-verification.js";
import { codeThrottleKey } from "../mfa-model.js";
import type { AccessPasses } from "./access-passes.js";
import type { RecoveryCodes } from "./recovery-codes.js";
import { normaliseRecoveryInput } from "./recovery-secrets.js";

/**
 * The answer to a recovery code or pass: accepted (which kind, codes left after it, and the
 * caller's part's value when its writes happened, null when they did not), or refused — "malformed"
 * (neither a code's nor a pass's shape: counted as nothing), "invalid" or "locked" (the same words
 * to the user, like a wrong code).
 */
export type RecoveryResult<F> =
  | { ok: true; kind: "code" | "pass"; codesLeft: number; finished: F | null }
  | { ok: false; reason: "malformed" | "invalid" | "locked"; retryAfterSeconds: number };

/**
 * Signing in without the device: a recovery code or a temporary access pass in place of a code.
 * Each attempt counts against the code lock (the same throttle key as a wrong TOTP code), the
 * attempt is counted before the check, and the code or pass is spent by a compare-and-set in the
 * statement that also runs the caller's `finish` (rotate a session, issue a device token) and
 * clears the count — so of any number of concurrent uses of one code, on any number of instances,
 * exactly one succeeds. Uses are audited (mfa.recovery_code_used, mfa.access_pass_used).
 */
export class RecoverySignIn {
  constructor(
    private readonly db: Db,
    private readonly audit: AuditLog,
    private readonly throttle: Throttle,
    private readonly codes: RecoveryCodes,
    private readonly passes: AccessPasses,
    private readonly notices: Notices,
  ) {}

  /**
   * Checks `input` (a code or, when `allowPass`, a pass; case, spaces and hyphens ignored) for
   * `userId` and spends it; `finish(kind)` gives the part that joins the spending statement (what
   * to do may depend on whether a code or a pass was typed). `where` (the sign-in's surface and
   * address) goes into a lock's audit entry. Nothing is thrown for a wrong one.
   */
  async use<F>(
    userId: string,
    input: string,
    finish?: (kind: "code" | "pass") => PartBuilder<F>,
    allowPass = true,
    where?: SignInContext,
  ): Promise<RecoveryResult<F>> {
    const value = normaliseRecoveryInput(input);
    if (!value || !isUuid(userId) || (value.kind === "pass" && !allowPass)) {
      return { ok: false, reason: "malformed", retryAfterSeconds: 0 };
    }
    const key = codeThrottleKey(userId);
    const attempt = await this.throttle.claim(key, ACCOUNT_POLICY);
    if (!attempt.granted) return { ok: false, reason: "locked", retryAfterSeconds: attempt.retryAfterSeconds };
    const st = new Statement();
    const won =
      value.kind === "code" ? this.codes.spendIn(st, userId, value.value) : this.passes.useIn(st, userId, value.value);
    this.throttle.succeedIn(st, key, attempt, won);
    const part = finish?.(value.kind)(st, won);
    const [row] = await st.run<{ won: boolean; finished: boolean; left: number; site_id: string; username: string }>(
      this.db,
      sql`SELECT EXISTS (SELECT 1 FROM ${won}) AS won, ${part ? part.done : sql`false`} AS finished,
         (SELECT count(*)::int FROM mfa_recovery_codes WHERE user_id = ${st.param(userId, "uuid")} AND used_at IS NULL) AS left,
         u.site_id, u.username
       FROM (SELECT 1) one LEFT JOIN users u ON u.id = ${st.param(userId, "uuid")}`,
    );
    if (!row!.won)
      return failedAttempt({ db: this.db, audit: this.audit, notices: this.notices }, userId, attempt, where);
    // The statement's snapshot predates its own update: the code it spent still counts as unused there.
    const codesLeft = value.kind === "code" ? row!.left - 1 : row!.left;
    await this.audit.record({
      siteId: row!.site_id,
      actor: { id: userId, name: row!.username },
      action: value.kind === "code" ? "mfa.recovery_code_used" : "mfa.access_pass_used",
      target: { id: userId, name: row!.username },
      details: value.kind === "code" ? { left: codesLeft } : {},
    });
    if (value.kind === "code") await this.notices.notify(this.db, userId, "recovery_code_used", { left: codesLeft });
    return { ok: true, kind: value.kind, codesLeft, finished: part ? (row!.finished ? part.value : null) : null };
  }
}
