import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { AuditLog } from "../audit/audit-log.js";
import { Sites } from "../sites/sites.js";
import { hashToken, newToken } from "../util/opaque-tokens.js";
import { UserAccounts, type User } from "./user-accounts.js";
import { NotFoundError, ValidationError } from "../errors.js";
import { passwordProblem } from "./passwords.js";
import { USERNAME_PATTERN } from "./user-accounts.js";

const SETUP_LINK_HOURS = 24;

/**
 * The setup form's problems per field ("username", "password"), as whole sentences, or null when
 * both are acceptable (USERNAME_PATTERN, passwordProblem).
 */
export function setupFormErrors(username: string, password: string, siteName?: string): Record<string, string> | null {
  const errors: Record<string, string> = {};
  if (!username) errors.username = "Enter a username.";
  else if (!USERNAME_PATTERN.test(username)) errors.username = "Username must be 1 to 64 letters, digits or . _ @ -.";
  const problem = password ? passwordProblem(password, { username, siteName }) : null;
  if (!password) errors.password = "Enter a password.";
  else if (problem) errors.password = `Password ${problem}.`;
  return Object.keys(errors).length ? errors : null;
}

/**
 * What starting the engine did about the first administrator: one already existed, one was created
 * from the configured password, or a one-time setup link (token, expiry) was issued. `earlierLinks`
 * counts the links of earlier starts that are still unused and unexpired: they stay valid beside the
 * new one (only their hashes are stored, so they cannot be printed again).
 */
export type FirstAdminOutcome =
  | { kind: "exists" }
  | { kind: "created"; user: User }
  | { kind: "setup-link"; token: string; expiresAt: Date; earlierLinks: { count: number; validUntil: Date | null } };

/**
 * Thrown when a first-administrator setup link is unknown, expired or already used (a not-found
 * error: 404, code "setup_link_invalid").
 */
export class SetupLinkError extends NotFoundError {
  constructor(message = "This setup link has expired or was already used.") {
    super(message, { code: "setup_link_invalid" });
  }
}

/** The first administrator of the Public Site: from ADMIN_USERNAME/ADMIN_PASSWORD, or through a one-time link. */
export class FirstAdmin {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async ensure(credentials: { username?: string; password?: string }): Promise<FirstAdminOutcome> {
    return this.db.transaction(async (tx) => {
      // Serialise concurrent starts so only one creates the admin or link.
      await tx.query("SELECT pg_advisory_xact_lock(7417002)");
      const site = await new Sites(tx, this.clock).publicSite();
      const users = new UserAccounts(tx, this.clock);
      if ((await users.countAdmins(site.id)) > 0) return { kind: "exists" };
      if (credentials.username && credentials.password) {
        const user = await users.create({
          siteId: site.id,
          username: credentials.username,
          password: credentials.password,
          role: "admin",
          displayName: "Administrator",
        });
        await new AuditLog(tx, this.clock).record({
          siteId: site.id,
          actor: { id: null, name: "system" },
          action: "user.create",
          target: { id: user.id, name: user.username },
          details: { role: "admin", via: "ADMIN_USERNAME" },
        });
        return { kind: "created", user };
      }
      const token = newToken();
      const now = this.clock.now();
      const expiresAt = new Date(now.getTime() + SETUP_LINK_HOURS * 3600_000);
      // A restart must not kill a link someone is about to open ("valid for 24 hours"): earlier
      // unused links stay valid until they expire; only expired ones are removed. Each start prints
      // a new link as well, since the stored hashes cannot give the old one back.
      await tx.query("DELETE FROM setup_tokens WHERE used_at IS NULL AND expires_at <= $1", [now]);
      const earlier = await tx.query<{ count: string; valid_until: Date | null }>(
        "SELECT count(*) AS count, max(expires_at) AS valid_until FROM setup_tokens WHERE used_at IS NULL",
      );
      await tx.query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)", [
        hashToken(token),
        now,
        expiresAt,
      ]);
      const e = earlier.rows[0];
      const validUntil = e?.valid_until ? new Date(e.valid_until) : null;
      return { kind: "setup-link", token, expiresAt, earlierLinks: { count: Number(e?.count ?? 0), validUntil } };
    });
  }

  /** True while the link is unused, unexpired and no administrator exists. */
  async linkIsValid(token: string): Promise<boolean> {
    const { rows } = await this.db.query<{ ok: boolean }>(
      `SELECT (used_at IS NULL AND expires_at > $2
               AND NOT EXISTS (SELECT 1 FROM users u JOIN sites s ON s.id = u.site_id WHERE s.is_public AND u.role = 'admin')) AS ok
       FROM setup_tokens WHERE token_hash = $1`,
      [hashToken(token), this.clock.now()],
    );
    return rows[0]?.ok === true;
  }

  /**
   * Uses the link once: creates the administrator and marks the link used, or changes nothing.
   * Throws SetupLinkError for a dead link, ValidationError (each bad field, see setupFormErrors) or
   * UserInputError (username taken) for the form.
   */
  async complete(token: string, username: string, password: string): Promise<User> {
    return this.db.transaction(async (tx) => {
      await tx.query("SELECT pg_advisory_xact_lock(7417002)");
      const now = this.clock.now();
      const used = await tx.query(
        "UPDATE setup_tokens SET used_at = $2 WHERE token_hash = $1 AND used_at IS NULL AND expires_at > $2",
        [hashToken(token), now],
      );
      const site = await new Sites(tx, this.clock).publicSite();
      const users = new UserAccounts(tx, this.clock);
      if (used.rowCount !== 1 || (await users.countAdmins(site.id)) > 0) {
        throw new SetupLinkError();
      }
      // Every field's problem at once (the transaction rolls back, so the link stays unused).
      const errors = setupFormErrors(username, password, site.name);
      if (errors) throw new ValidationError(Object.values(errors).join(" "), errors);
      const user = await users.create({ siteId: site.id, username, password, role: "admin", displayName: username });
      // The other links of earlier starts are void now that an administrator exists.
      await tx.query("DELETE FROM setup_tokens WHERE used_at IS NULL");
      await new AuditLog(tx, this.clock).record({
        siteId: site.id,
        actor: { id: null, name: "setup link" },
        action: "user.create",
        target: { id: user.id, name: user.username },
        details: { role: "admin", via: "setup link" },
      });
      return user;
    });
  }
}
