import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import { isUuid } from "../../util/uuid.js";

/** Where an authenticator says it can be reached (WebAuthn §5.8.4 AuthenticatorTransport). */
export type PasskeyTransport = "ble" | "cable" | "hybrid" | "internal" | "nfc" | "smart-card" | "usb";

/** A passkey as the account page lists it: never the key itself. */
export interface PasskeyInfo {
  id: string;
  name: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  /** WebAuthn backup state (BS): the passkey is synced, for example by a phone's password manager. */
  backedUp: boolean;
}

/**
 * A stored credential as an assertion needs it: the owner, the COSE public key (RFC 8152), the
 * signature counter (WebAuthn §6.1.1) and the transports.
 */
export interface StoredPasskey {
  id: string;
  userId: string;
  credentialId: string;
  publicKey: Uint8Array<ArrayBuffer>;
  signCount: number;
  transports: PasskeyTransport[];
}

/** A passkey to store after a verified registration. */
export interface NewPasskey {
  userId: string;
  credentialId: string;
  publicKey: Uint8Array;
  signCount: number;
  transports: string[];
  deviceType: "singleDevice" | "multiDevice";
  backedUp: boolean;
  aaguid: string;
  name: string;
}

/** A passkey's name as typed: trimmed, 1–64 characters, no control characters. Null when it is not one. */
export function passkeyName(raw: string | undefined): string | null {
  const name = (raw ?? "").trim().replace(/\s+/g, " ");
  if (!name || name.length > 64 || /[\p{Cc}\p{Cf}]/u.test(name)) return null;
  return name;
}

/** SQL of the passkeys table (migration 016). Every query is parameterised. */
export class PasskeyStore {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /** A user's passkeys, oldest first. */
  async listOf(userId: string, db: Db = this.db): Promise<PasskeyInfo[]> {
    if (!isUuid(userId)) return [];
    const { rows } = await db.query<PasskeyInfo>(
      `SELECT id, name, created_at AS "createdAt", last_used_at AS "lastUsedAt", backed_up AS "backedUp"
       FROM passkeys WHERE user_id = $1 ORDER BY created_at, id`,
      [userId],
    );
    return rows;
  }

  /** The credential ids (and transports) of a user's passkeys, for allowCredentials and excludeCredentials. */
  async descriptorsOf(userId: string): Promise<{ id: string; transports: PasskeyTransport[] }[]> {
    const { rows } = await this.db.query<{ id: string; transports: PasskeyTransport[] }>(
      "SELECT credential_id AS id, transports FROM passkeys WHERE user_id = $1 ORDER BY created_at",
      [userId],
    );
    return rows;
  }

  /** The passkey with this credential id (base64url), or null. */
  async byCredentialId(credentialId: string): Promise<StoredPasskey | null> {
    if (typeof credentialId !== "string" || credentialId.length < 16 || credentialId.length > 1400) return null;
    const { rows } = await this.db.query<{
      id: string;
      user_id: string;
      credential_id: string;
      public_key: Uint8Array;
      sign_count: string | number;
      transports: PasskeyTransport[];
    }>("SELECT id, user_id, credential_id, public_key, sign_count, transports FROM passkeys WHERE credential_id = $1", [
      credentialId,
    ]);
    const r = rows[0];
    if (!r) return null;
    return {
      id: r.id,
      userId: r.user_id,
      credentialId: r.credential_id,
      publicKey: new Uint8Array(r.public_key),
      signCount: Number(r.sign_count),
      transports: r.transports,
    };
  }

  /** Stores a verified passkey in `db` (the registration's transaction); its id. Throws the unique violation of a known credential. */
  async insert(p: NewPasskey, db: Db): Promise<string> {
    const { rows } = await db.query<{ id: string }>(
      `INSERT INTO passkeys (user_id, credential_id, public_key, sign_count, transports, device_type, backed_up, aaguid,
         name, created_at)
       VALUES ($1, $2, $3, $4, $5::text[], $6, $7, $8, $9, $10) RETURNING id`,
      [
        p.userId,
        p.credentialId,
        Buffer.from(p.publicKey),
        p.signCount,
        p.transports,
        p.deviceType,
        p.backedUp,
        p.aaguid,
        p.name,
        this.clock.now(),
      ],
    );
    return rows[0]!.id;
  }

  /** Renames one of the user's own passkeys; false when they hold no such passkey. */
  async rename(userId: string, passkeyId: string, name: string): Promise<boolean> {
    if (!isUuid(userId) || !isUuid(passkeyId)) return false;
    const { rowCount } = await this.db.query("UPDATE passkeys SET name = $3 WHERE id = $2 AND user_id = $1", [
      userId,
      passkeyId,
      name,
    ]);
    return rowCount > 0;
  }
}
