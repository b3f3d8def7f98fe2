import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { AuditLog } from "../audit/audit-log.js";
import { Sites } from "../sites/sites.js";
import { hashToken, newToken } from "../util/tokens.js";
import { UserAccounts, type User } from "./user-accounts.js";
import { NotFoundError } from "../errors.js";

const SETUP_LINK_HOURS = 24;

/**
 * What starting the engine did about the first administrator: one already existed, one was created
 * from the configured password, or a one-time setup link (token, expiry) was issued.
 */
export type FirstAdminOutcome =
  { kind: "exists" } | { kind: "created"; user: User } | { kind: "setup-link"; token: string; expiresAt: Date };

/**
 * Thrown when a first-administrator setup link is unknown, expired or already used (a not-found
 * error: 404).
 */
export class SetupLinkError extends NotFoundError {}

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
      // A new start makes a new link; older unused links stop working.
      await tx.query("DELETE FROM setup_tokens WHERE used_at IS NULL");
      await tx.query("INSERT INTO setup_tokens (token_hash, created_at, expires_at) VALUES ($1, $2, $3)", [
        hashToken(token),
        now,
        expiresAt,
      ]);
      return { kind: "setup-link", token, expiresAt };
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

  /** Uses the link once: creates the administrator and marks the link used, or changes nothing. */
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
        throw new SetupLinkError("This setup link has expired or was already used.");
      }
      const user = await users.create({ siteId: site.id, username, password, role: "admin", displayName: username });
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
