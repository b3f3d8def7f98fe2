import type { Clock } from "../clock.js";
import { sql } from "../db/statement.js";
import type { Db } from "../db/db.js";
import { foldSql } from "../db/fold.js";
import { NO_NOTICES, type Notices } from "../mail/mail-model.js";
import { isPgError, PgError } from "../db/db.js";
import { hashPassword, passwordProblem, type PasswordContext } from "./passwords.js";
import { type AskingBrowser, type PasswordConfirmation, tooManyAttempts } from "./password-confirmation.js";
import type { CredentialRevocation, RevocationSummary } from "./revocation.js";
import { RateLimitedError, ValidationError } from "../errors.js";

/** An account's role: administrator (everything on its site), designer (apps) or user. */
export type Role = "admin" | "designer" | "user";

/**
 * A user account without its password hash: id (UUID), site, username, profile, role, which doors
 * it may use (web, device) and whether it is disabled.
 */
export interface User {
  id: string;
  siteId: string;
  username: string;
  displayName: string;
  email: string | null;
  role: Role;
  webAccess: boolean;
  deviceAccess: boolean;
  disabled: boolean;
}

/**
 * A user account with its Argon2id password hash (PHC string, null when no password is set); never
 * leaves engine/auth.
 */
export interface UserWithHash extends User {
  passwordHash: string | null;
}

/** The users columns a User is read from (with the password hash). */
export const USER_COLUMNS = `id, site_id, username, display_name, email, role, web_access, device_access, disabled, password_hash`;
/** USER_COLUMNS qualified with the alias `u` (a users row joined as `u`). */
export const USER_COLUMNS_OF_U = sql`u.id, u.site_id, u.username, u.display_name, u.email, u.role, u.web_access, u.device_access, u.disabled, u.password_hash`;

/** A users row as USER_COLUMNS selects it. */
export interface UserRow {
  id: string;
  site_id: string;
  username: string;
  display_name: string;
  email: string | null;
  role: Role;
  web_access: boolean;
  device_access: boolean;
  disabled: boolean;
  password_hash: string | null;
}

/** The User (with its hash) of a users row. */
export const userFromRow = (r: UserRow): UserWithHash => ({
  id: r.id,
  siteId: r.site_id,
  username: r.username,
  displayName: r.display_name,
  email: r.email,
  role: r.role,
  webAccess: r.web_access,
  deviceAccess: r.device_access,
  disabled: r.disabled,
  passwordHash: r.password_hash,
});

/**
 * Allowed usernames: 1 to 64 ASCII letters, digits and `.`, `_`, `@`, `-`; unique per site,
 * case-insensitive.
 */
export const USERNAME_PATTERN = /^[A-Za-z0-9._@-]{1,64}$/;

/** A validation error about one field of a user account (400, message shown beside that field). */
export class UserInputError extends ValidationError {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(message, { [field]: message });
  }
}

/**
 * Input for creating a user account: site, username (USERNAME_PATTERN), optional password (none:
 * cannot sign in until one is set) and profile; role defaults to "user".
 */
export interface NewUser {
  siteId: string;
  username: string;
  password?: string;
  displayName?: string;
  email?: string | null;
  role?: Role;
  webAccess?: boolean;
  deviceAccess?: boolean;
}

/** Accounts: creation, lookup, passwords. The user-accounts app (forms/) edits the rest. */
export class UserAccounts {
  /** `revocation` is needed to change passwords (setPassword); lookups and creation do without. */
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly revocation?: CredentialRevocation,
    /** The "password changed" notice, enqueued in the change's transaction. */
    private readonly notices: Notices = NO_NOTICES,
  ) {}

  async byUsername(username: string): Promise<UserWithHash | null> {
    const { rows } = await this.db.query<UserRow>(
      `SELECT ${USER_COLUMNS} FROM users WHERE ${foldSql(sql`username`)} = ${foldSql(sql`$1`)}`,
      [username],
    );
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  async byId(id: string): Promise<UserWithHash | null> {
    const { rows } = await this.db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM users WHERE id = $1`, [id]);
    return rows[0] ? userFromRow(rows[0]) : null;
  }

  /** The words a new password of user `userId` must not contain (see PasswordContext). */
  async passwordContext(userId: string): Promise<PasswordContext> {
    const { rows } = await this.db.query<{ username: string; display_name: string | null; site: string }>(
      "SELECT u.username, u.display_name, s.name AS site FROM users u JOIN sites s ON s.id = u.site_id WHERE u.id = $1",
      [userId],
    );
    const r = rows[0];
    return r ? { username: r.username, displayName: r.display_name, siteName: r.site } : {};
  }

  async #siteName(siteId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ name: string }>("SELECT name FROM sites WHERE id = $1", [siteId]);
    return rows[0]?.name ?? null;
  }

  async countAdmins(siteId: string): Promise<number> {
    const { rows } = await this.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM users WHERE site_id = $1 AND role = 'admin'",
      [siteId],
    );
    return rows[0]!.n;
  }

  async create(input: NewUser, actorId: string | null = null): Promise<User> {
    if (!USERNAME_PATTERN.test(input.username))
      throw new UserInputError("username", "must be 1 to 64 letters, digits or . _ @ -");
    let hash: string | null = null;
    if (input.password !== undefined) {
      const problem = passwordProblem(input.password, {
        username: input.username,
        displayName: input.displayName,
        siteName: await this.#siteName(input.siteId),
      });
      if (problem) throw new UserInputError("password", problem);
      hash = await hashPassword(input.password);
    }
    const now = this.clock.now();
    try {
      const { rows } = await this.db.query<UserRow>(
        `INSERT INTO users (site_id, username, display_name, email, password_hash, role, web_access, device_access,
           created_at, updated_at, created_by, updated_by)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $10) RETURNING ${USER_COLUMNS}`,
        [
          input.siteId,
          input.username,
          input.displayName ?? input.username,
          input.email ?? null,
          hash,
          input.role ?? "user",
          input.webAccess ?? true,
          input.deviceAccess ?? false,
          now,
          actorId,
        ],
      );
      return stripHash(userFromRow(rows[0]!));
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) throw new UserInputError("username", "is already taken");
      throw err;
    }
  }

  /**
   * Sets a new password and, in the same transaction, ends every credential of
   * the user (CredentialRevocation). Throws UserInputError for a password the
   * policy refuses. Returns what was revoked.
   */
  /** Sets a password and ends the user's credentials; `keep` (a session's token hash) survives when the user is the actor. */
  async setPassword(
    userId: string,
    password: string,
    actorId: string | null = null,
    keep?: Buffer,
  ): Promise<RevocationSummary> {
    const revocation = this.revocation;
    if (!revocation)
      throw new Error("UserAccounts was built without the credential revocation: it cannot change passwords");
    const problem = passwordProblem(password, await this.passwordContext(userId));
    if (problem) throw new UserInputError("password", problem);
    // Argon2 takes a while: hash before the transaction starts, not inside it.
    const hash = await hashPassword(password);
    return this.db.transaction(async (tx) => {
      await tx.query(
        "UPDATE users SET password_hash = $2, updated_at = $3, updated_by = $4, version = version + 1 WHERE id = $1",
        [userId, hash, this.clock.now(), actorId],
      );
      const revoked = await revocation.revoke(
        userId,
        "password_changed",
        tx,
        actorId ? { id: actorId, ...(keep ? { credential: keep } : {}) } : undefined,
      );
      await this.notices.notify(tx, userId, "password_changed");
      return revoked;
    });
  }
}

/**
 * A user changing their own password (/account): the current password must be
 * right (wrong: UserInputError on "currentPassword"), checked by `confirmation` against the
 * account's password lock (locked: RateLimitedError with the seconds to wait, nothing checked),
 * the new one acceptable (UserInputError on "newPassword"); an empty field is a ValidationError
 * naming each empty one. The change ends every other web session and
 * every device token through the one revocation path, keeping `keep` (the SHA-256
 * hash of the session that made the change) — the caller then gives that session
 * a new token. Returns what ended.
 */
export async function changeOwnPassword(
  users: UserAccounts,
  confirmation: PasswordConfirmation,
  userId: string,
  input: { currentPassword: string; newPassword: string },
  keep: Buffer,
  /** The browser that asks (its device cookie decides whose password lock the check counts against). */
  browser: AskingBrowser,
): Promise<RevocationSummary> {
  // Empty fields get a message each, not "not correct" for a password nobody typed.
  const missing: Record<string, string> = {};
  if (!input.currentPassword) missing.currentPassword = "Enter your current password.";
  if (!input.newPassword) missing.newPassword = "Enter a new password.";
  if (Object.keys(missing).length) throw new ValidationError(Object.values(missing).join(" "), missing);
  const user = await users.byId(userId);
  if (!user) throw new UserInputError("currentPassword", "This account no longer exists.");
  const checked = await confirmation.confirm(user, input.currentPassword, browser);
  if (checked.kind === "locked") {
    throw new RateLimitedError(tooManyAttempts(checked.retryAfterSeconds), checked.retryAfterSeconds);
  }
  if (checked.kind === "wrong") throw new UserInputError("currentPassword", "The current password is not correct.");
  const problem = passwordProblem(input.newPassword, await users.passwordContext(userId));
  if (problem) throw new UserInputError("newPassword", `The new password ${problem}.`);
  if (input.newPassword === input.currentPassword) {
    throw new UserInputError("newPassword", "The new password must differ from the current one.");
  }
  return users.setPassword(userId, input.newPassword, userId, keep);
}

/** Returns the account without its password hash, for everything outside sign-in. */
export function stripHash(u: UserWithHash): User {
  const { passwordHash: _omit, ...user } = u;
  return user;
}
