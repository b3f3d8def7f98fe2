import { type CredentialTable, deleteCredentialsOfUser, deleteCredentialsOfUsers } from "../db/credential-rows.js";
import type { Db } from "../db/db.js";
import type { Logger } from "../log.js";

/**
 * A kind of credential a user can hold after signing in (a web session, a
 * device bearer token, a device sign-in challenge, recovery codes…). Each kind
 * registers with CredentialRevocation, so a credential change ends it with all
 * the others. A kind only names its table: CredentialRevocation deletes the
 * rows (engine/db/credential-rows.ts), keeping the actor's own credential
 * where the table has a hash column, which then takes the user's new epoch.
 */
export interface CredentialKind {
  /** Key of this kind in a RevocationSummary, e.g. "webSessions". */
  readonly credentialKind: string;
  /** The table holding this kind's credentials, one row per credential with its user_id. */
  readonly credentialRows: CredentialTable;
  /**
   * Whether a change for `reasons` ends this kind; `bySelf` is true when users change their own
   * account. Without it every change ends the kind (sessions, tokens). Recovery codes and access
   * passes survive a user's own password change and an activation, for example.
   */
  endsFor?(reasons: readonly RevocationReason[], bySelf: boolean): boolean;
}

/** What changed, for the log line. */
export type RevocationReason =
  | "password_changed"
  | "mfa_enabled"
  | "mfa_disabled"
  | "mfa_reset"
  | "mfa_activated"
  | "factor_added"
  | "factor_removed"
  | "user_disabled"
  | "web_access_removed"
  | "device_access_removed"
  | "user_deleted";

/** Who makes the change and the credential they make it with (a session's or challenge's token hash). */
export interface CredentialHolder {
  id: string | null;
  credential?: Buffer;
}

/** How many credentials of each kind ended, by CredentialKind.credentialKind. */
export type RevocationSummary = Record<string, number>;

/**
 * The one revocation path: every credential change (password, MFA on, off,
 * reset or activation, disabling, web or device access removed, deletion)
 * calls revoke() inside the transaction that makes the change, and every
 * kind of credential is registered here, so a new kind cannot be forgotten
 * by one of the paths and a rolled-back change revokes nothing. revoke() also
 * bumps the user's credential epoch, which every new credential is checked
 * against as it is inserted (engine/auth/credential-gate.ts): a sign-in whose
 * password was checked before the change commits gets nothing.
 *
 * Users changing their own account keep the credential they act with (the
 * session that saved the new password, the sign-in that activated MFA); all
 * their other credentials end.
 */
export class CredentialRevocation {
  readonly #kinds: CredentialKind[] = [];

  constructor(
    private readonly log: Logger,
    kinds: readonly CredentialKind[] = [],
  ) {
    for (const kind of kinds) this.register(kind);
  }

  /** Adds a kind of credential; throws if its name is taken. */
  register(kind: CredentialKind): void {
    if (this.#kinds.some((k) => k.credentialKind === kind.credentialKind)) {
      throw new Error(`credential kind ${kind.credentialKind} is registered twice`);
    }
    this.#kinds.push(kind);
  }

  /** The registered kinds' names, in order of registration. */
  get kinds(): readonly string[] {
    return this.#kinds.map((k) => k.credentialKind);
  }

  /**
   * Ends every credential of `userId` of every registered kind, in `db` (pass
   * the transaction of the change). `actor` acting on their own account keeps
   * `actor.credential`.
   */
  async revoke(
    userId: string,
    reasons: RevocationReason | readonly RevocationReason[],
    db: Db,
    actor?: CredentialHolder,
  ): Promise<RevocationSummary> {
    const keep = actor && actor.id === userId ? actor.credential : undefined;
    // The epoch first: from here on this transaction holds the user's row, so a sign-in in flight
    // waits at its credential gate and then finds the new epoch (engine/auth/credential-gate.ts).
    await db.query("UPDATE users SET credential_epoch = credential_epoch + 1 WHERE id = $1", [userId]);
    const summary: RevocationSummary = {};
    const why = [reasons].flat();
    for (const kind of this.#kinds) {
      if (kind.endsFor && !kind.endsFor(why, actor?.id === userId)) continue;
      summary[kind.credentialKind] = await deleteCredentialsOfUser(db, kind.credentialRows, userId, keep);
    }
    this.log.info("credentials revoked", { userId, reasons: [reasons].flat(), kept: keep !== undefined, ...summary });
    return summary;
  }

  /**
   * revoke() for many users at once, set-based (one statement per kind), in
   * `db` (the batch's transaction). `actor` keeps `actor.credential` if they are
   * among `userIds`. Returns the totals per kind.
   */
  async revokeMany(
    userIds: readonly string[],
    reason: RevocationReason,
    db: Db,
    actor?: CredentialHolder,
  ): Promise<RevocationSummary> {
    const summary: RevocationSummary = {};
    if (!userIds.length) return summary;
    const keep =
      actor?.id && actor.credential && userIds.includes(actor.id)
        ? { userId: actor.id, credential: actor.credential }
        : undefined;
    await db.query("UPDATE users SET credential_epoch = credential_epoch + 1 WHERE id = ANY($1::uuid[])", [userIds]);
    for (const kind of this.#kinds) {
      if (kind.endsFor && !kind.endsFor([reason], false)) continue;
      summary[kind.credentialKind] = await deleteCredentialsOfUsers(db, kind.credentialRows, userIds, keep);
    }
    this.log.info("credentials revoked", {
      users: userIds.length,
      reasons: [reason],
      kept: keep !== undefined,
      ...summary,
    });
    return summary;
  }
}
