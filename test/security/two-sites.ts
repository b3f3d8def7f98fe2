import { randomBytes } from "node:crypto";
import type { Db } from "../../engine/db/db.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";
import type { Services } from "../../engine/services.js";
import { base32For, keyFor } from "../hardware/fixtures.js";
import { appParams, codeAt } from "../helpers/totp.js";

/**
 * Every object of the Public Site carries PUBLIC_MARK in a text field, every
 * object of the other site OTHER_MARK, so a page or export that leaks another
 * site's data is found by a substring search. The principals' own names carry
 * neither: what a principal may see of itself is not a leak.
 */
export const PUBLIC_MARK = "pubmark";
export const OTHER_MARK = "othmark";

export const PASSWORD = "correct horse battery";
export const HALF_SECRET = keyFor(900);

/** The six principals of the authorization matrix, in the matrix's column order. */
export const PRINCIPALS = ["anonymous", "half", "user", "designer", "otherAdmin", "publicAdmin"] as const;
export type Principal = (typeof PRINCIPALS)[number];

/** Credentials minted for one request: a web session cookie and a device bearer token (signed-in principals). */
export interface Credentials {
  sessionToken?: string;
  deviceToken?: string;
}

export interface TwoSites {
  publicSiteId: string;
  otherSiteId: string;
  /** The site whose data a principal may see; null for those who may see none. */
  siteOf: Record<Principal, string | null>;
  userIdOf: Record<Exclude<Principal, "anonymous">, string>;
  /** Public Site objects the matrix's paths point at, by name. */
  ids: Record<string, string>;
  /** A fresh session (and device token) for a principal: each request starts from its own credentials. */
  credentials(p: Principal): Promise<Credentials>;
  /** A fresh staged upload of a one-token CSV, owned by the Public Site administrator. */
  stageUpload(): Promise<string>;
}

const actor = (siteId: string | null): MfaActor => ({ id: null, name: "fixture", siteId });

/**
 * Two sites with records, users, an app of the Public Site's own and hardware
 * tokens, plus the six principals. The objects the matrix writes to are
 * distinct, so an allowed write (a delete, an unassign) never takes away an
 * object another row reads.
 */
export async function buildTwoSites(s: Services): Promise<TwoSites> {
  const pub = (await s.sites.publicSite()).id;
  const other = (await s.sites.create("other", "Other Site")).id;

  const principal = (siteId: string, username: string, role: "admin" | "designer" | "user") =>
    s.users.create({ siteId, username, password: PASSWORD, role, deviceAccess: true });
  const users = {
    half: await principal(pub, "half-signed-in", "user"),
    user: await principal(pub, "plain-user", "user"),
    designer: await principal(pub, "app-designer", "designer"),
    otherAdmin: await principal(other, "other-admin", "admin"),
    publicAdmin: await principal(pub, "public-admin", "admin"),
  };
  // Half-signed-in: MFA activated with an app, so after the password the session waits for a code.
  await s.mfa.settings.applySettings(users.half.id, { enabled: true, enforcementDelayDays: 0 }, actor(pub));
  const activated = await s.mfa.activation.activate(
    users.half.id,
    { method: "app", ...appParams(HALF_SECRET) },
    codeAt(s.clock, appParams(HALF_SECRET)),
    actor(pub),
  );
  if (!activated.ok) throw new Error(`fixture: MFA activation failed (${activated.reason})`);

  // Data users (no password: they never sign in).
  const dataUser = (siteId: string, username: string, mark: string) =>
    s.users.create({
      siteId,
      username,
      displayName: `${username} ${mark}`,
      email: `${username}@${mark}.example`,
    });
  const pat = await dataUser(pub, "pat", PUBLIC_MARK);
  const doomed = await dataUser(pub, "dora-leaving", PUBLIC_MARK);
  // MFA on, not set up: Send reminder now has someone to remind.
  const remindee = await dataUser(pub, "remi-pending", PUBLIC_MARK);
  await s.mfa.settings.applySettings(remindee.id, { enabled: true, enforcementDelayDays: 30 }, actor(pub));
  // A Public Site rollout that gave remindee its deadline: its own page, reminders and extension.
  const rollout = (
    await s.rollouts.apply(
      { siteId: pub, ids: [remindee.id] },
      { enforcementDelayDays: 20, moveDeadlines: true, name: `Rollout ${PUBLIC_MARK}` },
      actor(pub),
    )
  ).rolloutId;
  const hal = await dataUser(pub, "hal", PUBLIC_MARK);
  await dataUser(other, "olga", OTHER_MARK);

  // Records of the app both sites have.
  const records = async (siteId: string, mark: string, names: string[]) => {
    const app = (await s.apps.get(siteId, "equipment-inspections"))!;
    const ctx = { siteId, actor: { id: null, name: "fixture" } };
    const out: string[] = [];
    for (const [i, name] of names.entries()) {
      const rec = await s.records.create(app, ctx, {
        equipment: `${name} ${mark}`,
        serialNumber: `SN-${i + 1}`,
        inspectedOn: "2026-01-02",
        result: "pass",
      });
      out.push(rec.id);
    }
    return out;
  };
  const [record, recordToDelete] = await records(pub, PUBLIC_MARK, ["Compressor", "Boiler"]);
  await records(other, OTHER_MARK, ["Pump"]);
  // The records the device API's rows change and delete.
  const [deviceRecord, deviceRecordToDelete] = await records(pub, PUBLIC_MARK, ["Drill", "Lathe"]);

  // An app only the Public Site has: its id and title name the site.
  const ledger = `${PUBLIC_MARK}-ledger`;
  await s.apps.save(
    pub,
    {
      id: ledger,
      title: `Ledger ${PUBLIC_MARK}`,
      record: {
        type: "object",
        required: ["name"],
        additionalProperties: false,
        properties: { name: { type: "string", title: "Name", minLength: 1, maxLength: 200 } },
      },
      list: { columns: ["name"], searchable: ["name"] },
    },
    { id: null, name: "fixture" },
    null,
  );

  // Hardware tokens (the registry belongs to the Public Site).
  const register = async (n: number, serialNumber: string) =>
    (
      await s.hardware.registry.register(
        { name: `Token ${PUBLIC_MARK}`, serialNumber, timeInterval: "30", secretKey: base32For(n) },
        { id: null, name: "fixture" },
        pub,
      )
    ).token.id;
  const tokenAvailable = await register(1, "PUBMARK-1");
  const tokenDisabled = await register(2, "PUBMARK-2");
  await s.hardware.registry.setDisabled(tokenDisabled, true, { id: null, name: "fixture" }, pub);
  const tokenToDelete = await register(3, "PUBMARK-3");
  const tokenAssigned = await register(4, "PUBMARK-4");
  const tokenReserved = (
    await s.hardware.registry.register(
      { name: `Token ${PUBLIC_MARK}`, serialNumber: "PUBMARK-5", timeInterval: "30", secretKey: base32For(5) },
      { id: null, name: "fixture" },
      pub,
      { id: hal.id, username: hal.username, disabled: false },
    )
  ).token.id;
  await s.mfa.settings.applySettings(hal.id, { enabled: true, enforcementDelayDays: 0 }, actor(pub));
  const params = await s.hardware.registry.params((await s.hardware.registry.byId(tokenAssigned))!);
  const assigned = await s.hardware.activation.activateHardware(
    hal.id,
    "PUBMARK-4",
    codeAt(s.clock, params),
    actor(pub),
  );
  if (!assigned.ok) throw new Error(`fixture: hardware activation failed (${assigned.reason})`);

  const siteOf: TwoSites["siteOf"] = {
    anonymous: null,
    half: null,
    user: pub,
    designer: pub,
    otherAdmin: other,
    publicAdmin: pub,
  };
  let uploads = 0;
  return {
    publicSiteId: pub,
    otherSiteId: other,
    siteOf,
    userIdOf: {
      half: users.half.id,
      user: users.user.id,
      designer: users.designer.id,
      otherAdmin: users.otherAdmin.id,
      publicAdmin: users.publicAdmin.id,
    },
    ids: {
      record: record!,
      recordToDelete: recordToDelete!,
      deviceRecord: deviceRecord!,
      deviceRecordToDelete: deviceRecordToDelete!,
      pat: pat.id,
      half: users.half.id,
      userToDelete: doomed.id,
      remindee: remindee.id,
      rollout,
      ledger,
      tokenAvailable,
      tokenDisabled,
      tokenToDelete,
      tokenAssigned,
      tokenReserved,
    },
    async credentials(p) {
      if (p === "anonymous") return {};
      const userId = users[p].id;
      const siteId = p === "otherAdmin" ? other : pub;
      const session = await s.sessions.create(userId, siteId, p === "half" ? "mfa" : "full", "127.0.0.1");
      if (p === "half") return { sessionToken: session.token };
      const device = await s.deviceTokens.issue(userId, "127.0.0.1");
      return { sessionToken: session.token, deviceToken: device.token };
    },
    async stageUpload() {
      uploads++;
      const csv = `upn,serial number,secret key,time interval,manufacturer,model\n,PUBMARK-U${uploads},${base32For(100 + uploads)},30,Token Works,${PUBLIC_MARK}\n`;
      return s.hardware.uploads.stage(users.publicAdmin.id, "tokens.csv", Buffer.from(csv));
    },
  };
}

/**
 * A digest of everything a site owns: its users with their MFA settings and
 * enrollments, records, revisions, app versions and audit entries; for the
 * Public Site also the sites table and the hardware-token registry. Sessions,
 * device tokens and throttles are left out: they are the principals' own
 * credentials, which signing out legitimately changes.
 */
export async function siteDigest(db: Db, siteId: string, isPublic: boolean): Promise<string> {
  const parts = [
    "SELECT row_to_json(t)::text AS r FROM users t WHERE site_id = $1",
    "SELECT row_to_json(t)::text FROM mfa_settings t JOIN users u ON u.id = t.user_id WHERE u.site_id = $1",
    "SELECT row_to_json(t)::text FROM mfa_enrollments t JOIN users u ON u.id = t.user_id WHERE u.site_id = $1",
    "SELECT row_to_json(t)::text FROM records t WHERE site_id = $1",
    "SELECT row_to_json(t)::text FROM record_revisions t WHERE site_id = $1",
    "SELECT row_to_json(t)::text FROM app_definitions t WHERE site_id = $1",
    "SELECT row_to_json(t)::text FROM audit_log t WHERE site_id = $1",
    "SELECT row_to_json(t)::text FROM mail_outbox t WHERE site_id = $1",
    "SELECT row_to_json(t)::text FROM mail_site_settings t WHERE site_id = $1",
    // A site's own settings (its time zone) are its own data.
    "SELECT row_to_json(t)::text FROM sites t WHERE id = $1",
  ];
  if (isPublic) {
    parts.push(
      // Which sites there are (added, renamed) is the Public Site's to change.
      "SELECT concat_ws(',', t.id, t.slug, t.name, t.is_public) FROM sites t WHERE $1::uuid IS NOT NULL",
      "SELECT row_to_json(t)::text FROM hardware_tokens t WHERE $1::uuid IS NOT NULL",
      "SELECT row_to_json(t)::text FROM audit_log t WHERE site_id IS NULL AND $1::uuid IS NOT NULL",
    );
  }
  const { rows } = await db.query<{ d: string }>(
    `SELECT md5(coalesce(string_agg(r, '|' ORDER BY r), '')) AS d FROM (${parts.join(" UNION ALL ")}) x`,
    [siteId],
  );
  return rows[0]!.d;
}

/** A CSRF token in the cookie's format (43 base64url characters). */
export const csrfToken = () => randomBytes(32).toString("base64url");
