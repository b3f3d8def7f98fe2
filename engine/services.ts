import { createHmac } from "node:crypto";
import { KnownClients } from "./auth/known-clients.js";
import { AuditLog } from "./audit/audit-log.js";
import { PasswordSignIn } from "./auth/sign-in.js";
import { DEFAULT_SESSION_POLICY, Sessions, type SessionPolicy } from "./auth/sessions.js";
import { Throttle } from "./auth/throttle.js";
import { PasswordConfirmation } from "./auth/password-confirmation.js";
import { UserAccounts } from "./auth/user-accounts.js";
import { FirstAdmin } from "./auth/first-admin.js";
import { CredentialRevocation } from "./auth/revocation.js";
import { AppRegistry, loadBuiltInDefinitions } from "./apps/app-registry.js";
import { AppDrafts } from "./apps/drafts.js";
import { AppRecordsStore } from "./apps/app-records-store.js";
import { UserRecordsStore } from "./apps/user-records-store.js";
import type { Clock } from "./clock.js";
import type { Config } from "./config.js";
import type { Db } from "./db/db.js";
import type { Logger } from "./log.js";
import { Sites } from "./sites/sites.js";
import { SecretBox } from "./mfa/secret-box.js";
import { DEFAULT_MFA_POLICY } from "./mfa/mfa-model.js";
import { MfaService } from "./mfa/mfa-service.js";
import { AuditSearch } from "./audit/audit-search.js";
import { SignInAudit } from "./audit/sign-in-audit.js";
import { PendingPosts } from "./auth/pending-posts.js";
import { MfaStates } from "./mfa/mfa-states.js";
import { CredentialCounts } from "./auth/credential-counts.js";
import { MfaRollouts } from "./mfa/mfa-rollouts.js";
import { MfaProgress } from "./mfa/progress.js";
import { RolloutProgress } from "./mfa/rollout-progress.js";
import { SiteMfaPolicies } from "./mfa/site-policy.js";
import { userAccountDesignerFields } from "./apps/user-account-fields.js";
import { DeviceChallenges } from "./device/device-challenges.js";
import { DeviceSignIn } from "./device/device-sign-in.js";
import { DeviceTokens } from "./device/device-tokens.js";
import { DeviceApps } from "./device/device-apps.js";
import { createHardwareServices, type HardwareServices } from "./mfa/hardware/hardware-services.js";
import { createMetrics, disabledMetrics, type Metrics } from "./ops/metrics.js";
import { MailService } from "./mail/mail-service.js";
import { smtpTransport } from "./mail/smtp-transport.js";
import { createPasskeyServices, type PasskeyServices } from "./mfa/passkeys/passkey-services.js";
import { relyingParty } from "./mfa/passkeys/relying-party.js";
import { FactorRemover } from "./mfa/factor-removal.js";
import { OwnCredentials } from "./auth/own-credentials.js";
import { RememberedBrowsers } from "./auth/remembered-browsers.js";
import { createRecoveryServices, type RecoveryServices } from "./mfa/recovery/recovery-services.js";
import { Backups } from "./ops/backups.js";

/** Everything a route may call; built once at start (and per test). Routes never touch db directly. */
export interface Services {
  db: Db;
  clock: Clock;
  config: Config;
  log: Logger;
  sites: Sites;
  users: UserAccounts;
  sessions: Sessions;
  /** The one path that ends a user's sessions, device tokens and challenges at a credential change. */
  revocation: CredentialRevocation;
  passwordSignIn: PasswordSignIn;
  /** A signed-in user's current password asked again, counted against the sign-in form's password lock. */
  passwordConfirmation: PasswordConfirmation;
  throttle: Throttle;
  audit: AuditLog;
  firstAdmin: FirstAdmin;
  /** Encrypts TOTP and hardware-token secrets at rest. */
  secretBox: SecretBox;
  /** The key CSRF tokens are signed with (engine/web/http/csrf.ts), derived from the secret key. */
  csrfKey: Buffer;
  /** Device cookies: a known client's own password lock (engine/auth/known-clients.ts). */
  knownClients: KnownClients;
  /** MFA settings, enrollments, code verification and the sign-in decision. */
  mfa: MfaService;
  /** The MFA states (off, pending, overdue, activated, locked) as counts and filters per site. */
  mfaStates: MfaStates;
  /** How many sessions and device tokens a user holds (what a reset will end). */
  credentialCounts: CredentialCounts;
  /** Switching MFA on for many users at once (Configure > MFA > Rollout, `formgate mfa enable`). */
  rollouts: MfaRollouts;
  /** Each rollout's own progress and "Extend the deadline" (Configure > MFA > a rollout). */
  rolloutProgress: RolloutProgress;
  /** Per-site MFA policy for accounts created in, or moved into, a required role. */
  mfaPolicies: SiteMfaPolicies;
  /** Activations per day and overdue users for the MFA progress page. */
  mfaProgress: MfaProgress;
  /** Reads the audit log for /configure/audit. */
  auditSearch: AuditSearch;
  /** Audit entries of sign-in steps (password and code: success, failure per burst, lock). */
  signInAudit: SignInAudit;
  /** Forms posted after the session ended, kept for the sign-in that follows (engine/auth/pending-posts.ts). */
  pendingPosts: PendingPosts;
  /** App definitions (forms/ and designer versions per site) and the store each app's records live in. */
  apps: AppRegistry;
  /** The designer's unpublished drafts, one per app and site. */
  drafts: AppDrafts;
  /** The default record store: the `records` table. */
  records: AppRecordsStore;
  /** Bearer tokens of the JSON device API. */
  deviceTokens: DeviceTokens;
  /** Pending device sign-ins (the challenge between the password and the code). */
  deviceChallenges: DeviceChallenges;
  /** The device API's sign-in steps (the same decisions, throttles and code checks as the web). */
  deviceSignIn: DeviceSignIn;
  /** The hardware-token registry: register, import, activate, find by code. */
  hardware: HardwareServices;
  /** The Prometheus series behind /metrics; records nothing without METRICS_TOKEN. */
  metrics: Metrics;
  /**
   * E-mail: the outbox (`mail.outbox.notify` enqueues a security notice in the caller's
   * transaction), each site's reminder days, the reminder scheduler and the sender.
   */
  mail: MailService;
  /** Apps and records over the device API (the web's rules, offline sync). */
  deviceApps: DeviceApps;
  /** Passkeys (WebAuthn): registration, assertions, the stored credentials. */
  passkeys: PasskeyServices;
  /** A user removing one of their own factors (never the last while MFA is on). */
  factors: FactorRemover;
  /** A user's own sessions and device tokens, listed and ended from /account. */
  ownCredentials: OwnCredentials;
  /** Browsers that skip the code after "Don't ask again" (forgotten by every credential change). */
  rememberedBrowsers: RememberedBrowsers;
  /** Recovery codes, temporary access passes and signing in with them (the helpdesk path). */
  recovery: RecoveryServices;
  /** Backups of the embedded database into DATA_DIR/backups (Configure > Backups, BACKUP_SCHEDULE). */
  backups: Backups;
}

/**
 * The composition root: builds every service over one database, clock, configuration, logger and
 * SecretBox key (32 bytes) with the session lifetimes given. Only entry points (server, CLI, tests)
 * call it.
 */
export function createServices(
  db: Db,
  clock: Clock,
  config: Config,
  log: Logger,
  secretKey: Buffer,
  sessionPolicy: SessionPolicy = DEFAULT_SESSION_POLICY,
): Services {
  const sessions = new Sessions(db, clock, sessionPolicy);
  const deviceTokens = new DeviceTokens(db, clock);
  const deviceChallenges = new DeviceChallenges(db, clock);
  // Every kind of credential a user can hold; a new kind registers here.
  const rememberedBrowsers = new RememberedBrowsers(db, clock);
  const revocation = new CredentialRevocation(log, [sessions, deviceTokens, deviceChallenges, rememberedBrowsers]);
  const audit = new AuditLog(db, clock);
  const signInAudit = new SignInAudit(db, clock);
  const secretBox = new SecretBox(secretKey);
  // Without SMTP_URL mails are queued and wait (the console says e-mail is not configured).
  const mail = new MailService(
    db,
    clock,
    log.child({ component: "mail" }),
    config.SMTP_URL ? smtpTransport(config.SMTP_URL, config.MAIL_FROM ?? "formgate@localhost") : null,
    {
      from: config.MAIL_FROM ?? "formgate@localhost",
      publicUrl: config.PUBLIC_URL ?? `http://localhost:${config.PORT}`,
    },
  );
  const notices = mail.outbox;
  // Recovery codes and access passes register with the revocation path too.
  const recovery = createRecoveryServices(db, clock, audit, revocation, secretKey, notices);
  const users = new UserAccounts(db, clock, revocation, notices);
  const passwordSignIn = new PasswordSignIn(db, clock, log.child({ component: "auth" }));
  const mfaPolicy = { ...DEFAULT_MFA_POLICY, windowSteps: config.TOTP_WINDOW_STEPS };
  const mfa = new MfaService(db, clock, secretBox, audit, revocation, mfaPolicy, notices);
  const throttle = new Throttle(db, clock);
  const knownClients = new KnownClients(createHmac("sha256", secretKey).update("formgate device cookie v1").digest());
  const passwordConfirmation = new PasswordConfirmation(
    users,
    throttle,
    knownClients,
    signInAudit,
    log.child({ component: "auth" }),
  );
  // PUBLIC_URL is read at each use: the relying party is where users reach this server.
  const mfaContext = { db, clock, box: secretBox, audit, revocation, policy: mfaPolicy, throttle, notices };
  const passkeys = createPasskeyServices(mfaContext, () => relyingParty(config.PUBLIC_URL, config.PORT));
  const records = new AppRecordsStore(db, clock);
  // Reads and checks forms/*.app.json: a broken definition stops start-up here.
  const apps = new AppRegistry(db, clock, loadBuiltInDefinitions(), records);
  // Apps whose records are user accounts (user.* / mfa.* bindings) are served from the users table.
  const mfaPolicies = new SiteMfaPolicies(db, clock, audit);
  const usersStore = new UserRecordsStore(db, clock, mfa, revocation, audit, mfaPolicies, notices);
  const sites = new Sites(db, clock);
  const designerFields = (siteId: string | null) => userAccountDesignerFields(apps, sites, siteId);
  apps.addStoreResolver((app) => (app.usersApp ? usersStore : null));
  const hardware = createHardwareServices(db, clock, secretBox, audit, mfa);
  const metrics = config.METRICS_TOKEN
    ? createMetrics(
        () => db.poolStats?.() ?? { total: 0, idle: 0, waiting: 0 },
        async () => {
          const states = ["queued", "sending", "sent", "failed", "skipped"];
          const { rows } = await db.query<{ state: string; n: number }>(
            "SELECT state, count(*)::int AS n FROM mail_outbox GROUP BY state",
          );
          return Object.fromEntries(states.map((st) => [st, rows.find((r) => r.state === st)?.n ?? 0]));
        },
      )
    : disabledMetrics;
  mfa.codes.onCodeChecked((check) => metrics.mfaCode(check.ok ? "valid" : check.reason));
  audit.onRecord((e) => e.action === "mfa.lock" && metrics.mfaLock());
  return {
    db,
    clock,
    config,
    log,
    sites,
    users,
    sessions,
    revocation,
    passwordSignIn,
    passwordConfirmation,
    throttle,
    audit,
    firstAdmin: new FirstAdmin(db, clock),
    secretBox,
    csrfKey: createHmac("sha256", secretKey).update("formgate csrf token v1").digest(),
    knownClients,
    mfa,
    mfaStates: new MfaStates(db, clock),
    credentialCounts: new CredentialCounts(db, clock),
    rollouts: new MfaRollouts(db, clock, audit, revocation, designerFields, notices),
    rolloutProgress: new RolloutProgress(db, clock, audit, revocation, notices),
    mfaPolicies,
    mfaProgress: new MfaProgress(db, clock),
    auditSearch: new AuditSearch(db),
    signInAudit,
    pendingPosts: new PendingPosts(db, clock),
    apps,
    drafts: new AppDrafts(db, clock, apps),
    records,
    deviceTokens,
    deviceChallenges,
    deviceSignIn: new DeviceSignIn({
      db,
      clock,
      log,
      users,
      passwordSignIn,
      mfa,
      tokens: deviceTokens,
      challenges: deviceChallenges,
      hardware: hardware.activation,
      hardwareTokens: hardware.registry,
      recovery: recovery.signIn,
      passkeys,
      signInAudit,
      audit,
    }),
    hardware,
    metrics,
    mail,
    deviceApps: new DeviceApps({ db, clock, apps, records, mfa }),
    passkeys,
    factors: new FactorRemover(mfaContext),
    ownCredentials: new OwnCredentials(db, clock),
    rememberedBrowsers,
    recovery,
    backups: new Backups(db, clock, config.DATA_DIR, secretKey),
  };
}
