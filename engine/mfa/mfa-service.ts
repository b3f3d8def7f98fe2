import type { AuditLog } from "../audit/audit-log.js";
import type { CredentialRevocation } from "../auth/revocation.js";
import { Throttle } from "../auth/throttle.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import type { PartBuilder, Statement } from "../db/statement.js";
import { isUuid } from "../util/uuid.js";
import { NO_NOTICES, type Notices } from "../mail/mail-model.js";
import { CodeVerification } from "./code-verification.js";
import { EnrollmentActivation } from "./enrollment-activation.js";
import {
  type ActivationOptions,
  type ActivationResult,
  type CodeCheck,
  type CodeCheckOutcome,
  DEFAULT_MFA_POLICY,
  type EnrollmentInput,
  type JoinedRead,
  type MfaActor,
  type MfaPolicy,
  type MfaSettingsInput,
} from "./mfa-model.js";
import { FACTS_COLUMNS, FACTS_JOINS, FACTS_SQL, type FactsRow, readStatus, toFacts } from "./mfa-rows.js";
import { MfaSettings } from "./mfa-settings.js";
import type { SecretBox } from "./secret-box.js";
import { decideAfterPassword, type SignInDecision } from "./sign-in-flow.js";
import { type MfaStatus, withMessage } from "./status.js";

/**
 * MFA per user: the administrator's settings (mfa.* system fields, MfaSettings),
 * the one activated enrollment (EnrollmentActivation), code verification with
 * replay protection and lockout (CodeVerification), and the sign-in decision.
 * All state is in PostgreSQL, so it holds across instances. This class composes
 * the three parts over one MfaContext and reads the status itself.
 */
export class MfaService {
  readonly #settings: MfaSettings;
  readonly #codes: CodeVerification;
  readonly #activation: EnrollmentActivation;
  #codeChecked: (check: CodeCheck) => void = () => {};

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
    this.#settings = new MfaSettings(ctx);
    this.#codes = new CodeVerification(ctx);
    this.#activation = new EnrollmentActivation(ctx);
  }

  // ---- reading ----

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
    columns: `u.id AS user_id, ${FACTS_COLUMNS}`,
    joins: FACTS_JOINS,
    read: (row) => (row.user_id ? withMessage(toFacts(row as unknown as FactsRow), this.clock.now()) : null),
  };

  // ---- administrator settings (MfaSettings) ----

  /** See MfaSettings.applySettings: the slider and the enforcement delay, in the caller's transaction if given. */
  applySettings(userId: string, input: MfaSettingsInput, actor: MfaActor, tx?: Db): Promise<MfaStatus> {
    return this.#settings.applySettings(userId, input, actor, tx);
  }

  /** See MfaSettings.reset: enrollment gone, credentials ended, grace period restarted. */
  reset(userId: string, actor: MfaActor): Promise<MfaStatus> {
    return this.#settings.reset(userId, actor);
  }

  /** See MfaSettings.unlock: lifts a code or password lock; whether anything was locked. */
  unlock(userId: string, actor: MfaActor): Promise<boolean> {
    return this.#settings.unlock(userId, actor);
  }

  /** See MfaSettings.lockedUntil: the end of the user's code or password lock, null when not locked. */
  lockedUntil(userId: string): Promise<Date | null> {
    return this.#settings.lockedUntil(userId);
  }

  // ---- verification (CodeVerification) ----

  /** See CodeVerification.verifyCode: the TOTP step of a sign-in, in two statements. */
  verifyCode<F = never>(
    userId: string,
    code: string,
    finish?: PartBuilder<F>,
  ): Promise<CodeCheck & { finished?: F | null }> {
    return this.#codes.verifyCode(userId, code, finish).then((r) => this.#seen(r));
  }

  /** Calls `observer` with every sign-in code check's answer (the metrics count them). */
  onCodeChecked(observer: (check: CodeCheck) => void): void {
    this.#codeChecked = observer;
  }

  #seen<C extends CodeCheck>(check: C): C {
    this.#codeChecked(check);
    return check;
  }

  /** See CodeVerification.startCodeCheck: the first statement, joined to the caller's subject CTE. */
  startCodeCheck<R extends { user_id: string }>(
    st: Statement,
    subject: string,
    eligible: string,
    code: string,
  ): Promise<{ row: R | undefined; outcome: CodeCheckOutcome }> {
    return this.#codes.startCodeCheck<R>(st, subject, eligible, code).then((r) => {
      if (r.outcome.kind === "done") this.#seen(r.outcome.result);
      return r;
    });
  }

  /** See CodeVerification.finishCodeCheck: the compare-and-set on the step, with the caller's `finish`. */
  finishCodeCheck<F = never>(
    m: Extract<CodeCheckOutcome, { kind: "matched" }>,
    finish?: PartBuilder<F>,
  ): Promise<CodeCheck & { finished?: F | null }> {
    return this.#codes.finishCodeCheck(m, finish).then((r) => this.#seen(r));
  }

  // ---- activation and authenticator-app setup (EnrollmentActivation) ----

  /** See EnrollmentActivation.activate: enrolls after a correct current code. */
  activate(
    userId: string,
    input: EnrollmentInput,
    code: string,
    actor: MfaActor,
    opts?: ActivationOptions,
  ): Promise<ActivationResult> {
    return this.#activation.activate(userId, input, code, actor, opts);
  }

  /** See EnrollmentActivation.startAppSetup: a fresh pending secret for the setup page. */
  startAppSetup(userId: string): Promise<Buffer> {
    return this.#activation.startAppSetup(userId);
  }

  /** See EnrollmentActivation.pendingAppSecret: the pending secret while it is valid, else null. */
  pendingAppSecret(userId: string): Promise<Buffer | null> {
    return this.#activation.pendingAppSecret(userId);
  }

  /** See EnrollmentActivation.pendingAppSecretUntil: until when the pending key stays valid, or null. */
  pendingAppSecretUntil(userId: string): Promise<Date | null> {
    return this.#activation.pendingAppSecretUntil(userId);
  }

  /** See EnrollmentActivation.activatePendingApp: confirms the pending secret with a code. */
  activatePendingApp(
    userId: string,
    code: string,
    actor: MfaActor,
    opts?: ActivationOptions,
  ): Promise<ActivationResult> {
    return this.#activation.activatePendingApp(userId, code, actor, opts);
  }
}
