import type { AuditLog } from "../audit/audit-log.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import { Throttle } from "../auth/throttle.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { sql } from "../db/statement.js";
import { isUuid } from "../util/uuid.js";
import { NO_NOTICES, type Notices } from "../mail/mail-model.js";
import { CodeVerification } from "./code-verification.js";
import { EnrollmentActivation } from "./enrollment-activation.js";
import { DEFAULT_MFA_POLICY, type JoinedRead, type MfaPolicy } from "./mfa-model.js";
import { FACTS_COLUMNS, FACTS_JOINS, FACTS_SQL, type FactsRow, readStatus, toFacts } from "./mfa-rows.js";
import { MfaSettings } from "./mfa-settings.js";
import type { SecretBox } from "./secret-box.js";
import { decideAfterPassword, type SignInDecision } from "./sign-in-flow.js";
import { type MfaStatus, withMessage } from "./status.js";

/**
 * MFA per user, in three parts over one MfaContext, each exposed for its callers to use directly:
 * `settings`, the administrator's settings (mfa.* system fields: applySettings, reset, unlock,
 * lockedUntil); `codes`, code verification with replay protection and lockout (verifyCode,
 * startCodeCheck, finishCodeCheck); `activation`, the one activated enrollment and the
 * authenticator-app setup (activate, startAppSetup, pendingAppSecret, activatePendingApp). The
 * service itself reads the status and makes the sign-in decision. All state is in PostgreSQL, so it
 * holds across instances.
 */
export class MfaService {
  /** The administrator's settings: the slider, the enforcement delay, reset, unlock (MfaSettings). */
  readonly settings: MfaSettings;
  /** The TOTP step of a sign-in or a re-authentication, throttled, each step used once (CodeVerification). */
  readonly codes: CodeVerification;
  /** Enrolling after a correct code and the authenticator-app setup (EnrollmentActivation). */
  readonly activation: EnrollmentActivation;

  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    box: SecretBox,
    audit: AuditLog,
    revocation: CredentialRevocation,
    readonly policy: MfaPolicy = DEFAULT_MFA_POLICY,
    notices: Notices = NO_NOTICES,
  ) {
    const ctx = { db, clock, box, audit, revocation, policy, throttle: new Throttle(db, clock), notices };
    this.settings = new MfaSettings(ctx);
    this.codes = new CodeVerification(ctx);
    this.activation = new EnrollmentActivation(ctx);
  }

  /** Structured state plus the status message; throws MfaAccessError for an unknown user. */
  async statusOf(userId: string, db: Db = this.db): Promise<MfaStatus> {
    return readStatus(userId, db, this.clock.now());
  }

  /** Statuses of many users in one query (list columns); unknown ids are left out. */
  async statusesOf(userIds: readonly string[], db: Db = this.db): Promise<Map<string, MfaStatus>> {
    const ids = userIds.filter((id) => isUuid(id));
    const out = new Map<string, MfaStatus>();
    if (!ids.length) return out;
    const { rows } = await db.query<FactsRow>(`${FACTS_SQL} WHERE u.id = ANY($1::uuid[])`, [ids]);
    const now = this.clock.now();
    for (const r of rows) out.set(r.user_id, withMessage(toFacts(r), now));
    return out;
  }

  /** After a correct password: "ok", "mfa_required" or "mfa_setup_required" (optional while in the grace period). */
  async afterPassword(userId: string): Promise<SignInDecision> {
    return decideAfterPassword(await this.statusOf(userId), this.clock.now());
  }

  /** The user's MFA state, read in the caller's statement over users `u` (null for an unknown user). */
  readonly statusRead: JoinedRead<MfaStatus | null> = {
    columns: sql`u.id AS user_id, ${FACTS_COLUMNS}`,
    joins: FACTS_JOINS,
    read: (row) => (row.user_id ? withMessage(toFacts(row as unknown as FactsRow), this.clock.now()) : null),
  };
}
