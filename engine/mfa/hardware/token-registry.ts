import { randomUUID } from "node:crypto";
import { containsPattern } from "../../db/like.js";
import { isUuid } from "../../util/uuid.js";
import type { AuditLog } from "../../audit/audit-log.js";
import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import { isPgError, PgError } from "../../db/db.js";
import type { SecretBox } from "../secret-box.js";
import type { TotpParams } from "../totp.js";
import type { SecretEncoding } from "./secret-encoding.js";
import { checkTokenInput, type TokenInputValues } from "./token-input.js";
import { findByCode } from "./token-find.js";
import { TOKEN_SELECT, toToken, type HardwareToken, type TokenRow } from "./token-rows.js";
import { releaseRefusal, TokenStateError } from "./token-states.js";
import { NotFoundError, ValidationError } from "../../errors.js";

/**
 * The hardware-token registry: tokens an administrator registered or
 * imported, each with its sealed key. A token is assigned exactly when an MFA
 * enrollment references it, so assignment is read from that join and never
 * stored twice.
 */

/** Bound into each sealed key, so a sealed value copied to another token does not open. */
export const tokenSecretContext = (tokenId: string) => `hardware-token:${tokenId}`;

/** Who does an action, for the audit log: user id (null for the CLI) and name. */
export interface Actor {
  id: string | null;
  name: string;
}

export type { HardwareToken, TokenState } from "./token-rows.js";

/**
 * Thrown when a token to register is invalid; `errors` holds one message per input field (a 400
 * with messages beside the fields).
 */
export class TokenInputError extends ValidationError {
  constructor(readonly errors: Partial<Record<keyof TokenInputValues, string>>) {
    super("the token is not valid", errors);
  }
}

export { releaseRefusal, TokenStateError } from "./token-states.js";

/** Why a token cannot be reserved for a disabled user (the register form's "Assign to user" field). */
export const reserveDisabledMessage = (username: string) =>
  `${username} is disabled and cannot sign in to activate a token: enable the user first, or leave it empty.`;

/** The message of the NotFoundError (404) for an id that names no token. */
export const NO_SUCH_TOKEN = "There is no such token.";

/** Tokens per page of the token list when the caller names no limit (callers may ask for 1 to 500). */
export const PAGE_SIZE = 50;

/** One page of the token list, ordered by serial number, with the keyset cursor of the next page. */
export interface TokenPage {
  tokens: HardwareToken[];
  /** Serial number to pass as ?after= for the next page, or null on the last page. */
  nextAfter: string | null;
}

/**
 * A hardware token whose code matched, and how far its clock has drifted, in TOTP steps (RFC 6238
 * §6).
 */
export interface CodeMatch {
  token: HardwareToken;
  /** Steps between the token's clock and ours when it produced the code. */
  offsetSteps: number;
}

/**
 * The pool of hardware TOTP tokens (RFC 6238): registering, listing, reserving, disabling and
 * checking codes. Secrets are sealed with the SecretBox and never returned; every change goes to
 * the audit log. Invalid input throws TokenInputError.
 */
export class HardwareTokens {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly box: SecretBox,
    private readonly audit: AuditLog,
    /**
     * Milliseconds on a monotonic clock (performance.now), by which findByCode measures its slices;
     * tests inject their own to count slices instead of timing them.
     */
    private readonly elapsedMs: () => number = () => performance.now(),
  ) {}

  /**
   * Registers one token; throws TokenInputError with a message per field. With `assignTo` ("Register
   * and assign to USER") the token is reserved for that user in the same transaction — only they may
   * activate it, and their setup page fills its serial in — and audited as a registration and an
   * assignment (hardware_token.register, then hardware_token.assign with `reserved: true`); a
   * `disabled` user is refused (TokenInputError on assignTo).
   */
  async register(
    values: TokenInputValues,
    actor: Actor,
    siteId: string | null,
    assignTo?: { id: string; username: string; disabled: boolean },
  ): Promise<{ token: HardwareToken; encoding: SecretEncoding }> {
    const checked = checkTokenInput(values, "auto");
    const duplicate = await this.duplicateSerialError(values, checked.ok ? {} : checked.errors);
    const disabledAssignee = assignTo?.disabled ? reserveDisabledMessage(assignTo.username) : null;
    if (!checked.ok || disabledAssignee || duplicate) {
      if (checked.ok) checked.token.secret.fill(0);
      throw new TokenInputError({
        ...(checked.ok ? {} : checked.errors),
        ...duplicate,
        ...(disabledAssignee ? { assignTo: disabledAssignee } : {}),
      });
    }
    const t = checked.token;
    const id = randomUUID();
    try {
      await this.db.transaction(async (tx) => {
        await tx.query(
          `INSERT INTO hardware_tokens (id, serial_number, name, model, manufacturer, secret_sealed, algorithm, digits,
             period_seconds, created_at, created_by, reserved_for_user_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
          [
            id,
            t.serialNumber,
            t.name,
            t.model,
            t.manufacturer,
            this.box.seal(t.secret, tokenSecretContext(id)),
            t.algorithm,
            t.digits,
            t.periodInSeconds,
            this.clock.now(),
            actor.id,
            assignTo?.id ?? null,
          ],
        );
        await this.audit.record(
          {
            siteId,
            actor,
            action: "hardware_token.register",
            details: { serialNumber: t.serialNumber, model: t.model, periodInSeconds: t.periodInSeconds },
          },
          tx,
        );
        if (assignTo) {
          await this.audit.record(
            {
              siteId,
              actor,
              action: "hardware_token.assign",
              target: { id: assignTo.id, name: assignTo.username },
              details: { serialNumber: t.serialNumber, reserved: true },
            },
            tx,
          );
        }
      });
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) {
        throw new TokenInputError({ serialNumber: "is already registered" });
      }
      throw err;
    } finally {
      t.secret.fill(0);
    }
    return { token: (await this.byId(id))!, encoding: t.encoding };
  }

  /**
   * { serialNumber: "is already registered" } when the serial number (case aside) is taken and
   * `errors` has nothing to say about it yet; null otherwise. So one submit reports every field.
   */
  async duplicateSerialError(
    values: TokenInputValues,
    errors: Partial<Record<keyof TokenInputValues, string>>,
  ): Promise<{ serialNumber: string } | null> {
    const serial = values.serialNumber?.trim();
    if (!serial || errors.serialNumber || serial.length > 200) return null;
    return (await this.bySerial(serial)) ? { serialNumber: "is already registered" } : null;
  }

  async byId(id: string, db: Db = this.db): Promise<HardwareToken | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<TokenRow>(`${TOKEN_SELECT} WHERE t.id = $1`, [id]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  async bySerial(serialNumber: string, db: Db = this.db): Promise<HardwareToken | null> {
    const { rows } = await db.query<TokenRow>(`${TOKEN_SELECT} WHERE lower(t.serial_number) = lower($1)`, [
      serialNumber,
    ]);
    return rows[0] ? toToken(rows[0]) : null;
  }

  /** Ordered by serial number; q searches serial, name, model, manufacturer and the assigned or reserved user. */
  async list(options: { q?: string; after?: string; limit?: number } = {}): Promise<TokenPage> {
    const limit = Math.min(Math.max(options.limit ?? PAGE_SIZE, 1), 500);
    const params: unknown[] = [];
    const where: string[] = [];
    const q = options.q?.trim();
    if (q) {
      params.push(containsPattern(q.toLowerCase()));
      where.push(`(lower(t.serial_number) LIKE $${params.length} OR lower(t.name) LIKE $${params.length}
        OR lower(t.model) LIKE $${params.length} OR lower(t.manufacturer) LIKE $${params.length}
        OR lower(au.username) LIKE $${params.length} OR lower(r.username) LIKE $${params.length})`);
    }
    if (options.after) {
      params.push(options.after.toLowerCase());
      where.push(`lower(t.serial_number) > $${params.length}`);
    }
    params.push(limit + 1);
    const { rows } = await this.db.query<TokenRow>(
      `${TOKEN_SELECT} ${where.length ? `WHERE ${where.join(" AND ")}` : ""}
       ORDER BY lower(t.serial_number) LIMIT $${params.length}`,
      params,
    );
    const tokens = rows.slice(0, limit).map(toToken);
    return { tokens, nextAfter: rows.length > limit ? tokens.at(-1)!.serialNumber : null };
  }

  async counts(): Promise<{ total: number; assigned: number; disabled: number }> {
    const { rows } = await this.db.query<{ total: number; assigned: number; disabled: number }>(
      `SELECT count(*)::int AS total, count(e.user_id)::int AS assigned,
         count(*) FILTER (WHERE t.disabled)::int AS disabled
       FROM hardware_tokens t LEFT JOIN mfa_enrollments e ON e.token_id = t.id`,
    );
    return rows[0]!;
  }

  /**
   * Disabled tokens leave the pool: nobody can activate them. Only an
   * unassigned token can be disabled; an assigned one is unassigned first
   * (which resets that user's MFA), so a disabled token never guards a sign-in.
   */
  async setDisabled(id: string, disabled: boolean, actor: Actor, siteId: string | null): Promise<HardwareToken> {
    return this.db.transaction(async (tx) => {
      const token = await this.#lock(id, tx);
      if (disabled && token.state.kind === "assigned") {
        throw new TokenStateError(
          `Token ${token.serialNumber} is assigned to ${token.state.username}: unassign it before disabling it.`,
        );
      }
      if (token.disabled === disabled) return token;
      await tx.query("UPDATE hardware_tokens SET disabled = $2 WHERE id = $1", [id, disabled]);
      await this.audit.record(
        {
          siteId,
          actor,
          action: disabled ? "hardware_token.disable" : "hardware_token.enable",
          details: { serialNumber: token.serialNumber },
        },
        tx,
      );
      return (await this.byId(id, tx))!;
    });
  }

  /**
   * Releases a token's reservation: the token is available to everyone again (audited as
   * hardware_token.release with the user it was reserved for). An assigned token is unassigned
   * instead; a token reserved for nobody is a TokenStateError.
   */
  async release(id: string, actor: Actor, siteId: string | null): Promise<HardwareToken & { releasedFrom: string }> {
    return this.db.transaction(async (tx) => {
      const token = await this.#lock(id, tx);
      const refusal = releaseRefusal(token);
      if (refusal) throw refusal;
      const reservedFor = token.reservedForUserId!;
      const username = await this.usernameOf(reservedFor, tx);
      await tx.query("UPDATE hardware_tokens SET reserved_for_user_id = NULL WHERE id = $1", [id]);
      await this.audit.record(
        {
          siteId,
          actor,
          action: "hardware_token.release",
          target: { id: reservedFor, name: username },
          details: { serialNumber: token.serialNumber },
        },
        tx,
      );
      return { ...(await this.byId(id, tx))!, releasedFrom: username };
    });
  }

  /** Deletes a token that is not assigned; its key goes with it. */
  async delete(id: string, actor: Actor, siteId: string | null): Promise<HardwareToken> {
    try {
      return await this.db.transaction(async (tx) => {
        const token = await this.#lock(id, tx);
        if (token.state.kind === "assigned") {
          throw new TokenStateError(
            `Token ${token.serialNumber} is assigned to ${token.state.username}: unassign it before deleting it.`,
          );
        }
        await tx.query("DELETE FROM hardware_tokens WHERE id = $1", [id]);
        await this.audit.record(
          { siteId, actor, action: "hardware_token.delete", details: { serialNumber: token.serialNumber } },
          tx,
        );
        return token;
      });
    } catch (err) {
      // Activated between our check and the delete: the foreign key kept it.
      if (isPgError(err, "23503"))
        throw new TokenStateError("The token was just activated by a user; it was not deleted.");
      throw err;
    }
  }

  /** Tokens a user may pick at activation: not disabled, not assigned, not reserved for someone else. */
  async availableFor(userId: string): Promise<HardwareToken[]> {
    const { rows } = await this.db.query<TokenRow>(
      `${TOKEN_SELECT} WHERE NOT t.disabled AND e.user_id IS NULL
         AND (t.reserved_for_user_id IS NULL OR t.reserved_for_user_id = $1)
       ORDER BY (t.reserved_for_user_id IS NULL), lower(t.serial_number) LIMIT 500`,
      [userId],
    );
    return rows.map(toToken);
  }

  /**
   * The token reserved for a user (an import's `upn`, or "Register and assign") that they may still
   * activate: not disabled, not assigned; null when none. The setup page fills its serial number in.
   */
  async reservedFor(userId: string): Promise<HardwareToken | null> {
    const { rows } = await this.db.query<TokenRow>(
      `${TOKEN_SELECT} WHERE t.reserved_for_user_id = $1 AND NOT t.disabled AND e.user_id IS NULL
       ORDER BY lower(t.serial_number) LIMIT 1`,
      [userId],
    );
    return rows[0] ? toToken(rows[0]) : null;
  }

  /** The TOTP parameters with the opened key; callers zero the secret when done. */
  async params(token: HardwareToken): Promise<TotpParams> {
    const { rows } = await this.db.query<{ secret_sealed: string }>(
      "SELECT secret_sealed FROM hardware_tokens WHERE id = $1",
      [token.id],
    );
    if (!rows[0]) throw new NotFoundError("The token no longer exists.");
    return {
      secret: this.box.open(rows[0].secret_sealed, tokenSecretContext(token.id)),
      algorithm: token.algorithm,
      digits: token.digits,
      periodInSeconds: token.periodInSeconds,
    };
  }

  /**
   * privacyIDEA's "Get Serial": which registered tokens show this code now,
   * within ±window steps, the exact matches (the code of the current step) first, then by how far
   * the token's clock is off. Every key is opened (and up to 2·window+1 HMACs computed), so this is
   * an admin tool for a registry of thousands, not a sign-in path; it works in slices of at most
   * FIND_SLICE_MS and lets the event loop run between them, so other requests are answered while a
   * find runs.
   */
  async findByCode(code: string, window = 2): Promise<CodeMatch[]> {
    return findByCode(
      {
        db: this.db,
        openKey: (sealed, tokenId) => this.box.open(sealed, tokenSecretContext(tokenId)),
        now: this.clock.now(),
        elapsedMs: this.elapsedMs,
      },
      code,
      window,
      (id) => this.byId(id),
    );
  }

  async siteOfUser(userId: string): Promise<string | null> {
    const { rows } = await this.db.query<{ site_id: string }>("SELECT site_id FROM users WHERE id = $1", [userId]);
    return rows[0]?.site_id ?? null;
  }

  async usernameOf(userId: string, db: Db = this.db): Promise<string> {
    const { rows } = await db.query<{ username: string }>("SELECT username FROM users WHERE id = $1", [userId]);
    return rows[0]?.username ?? "";
  }

  async #lock(id: string, tx: Db): Promise<HardwareToken> {
    if (!isUuid(id)) throw new NotFoundError(NO_SUCH_TOKEN);
    const { rows } = await tx.query<{ id: string }>("SELECT id FROM hardware_tokens WHERE id = $1 FOR UPDATE", [id]);
    if (!rows[0]) throw new NotFoundError(NO_SUCH_TOKEN);
    return (await this.byId(id, tx))!;
  }
}
