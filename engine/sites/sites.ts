import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { isPgError, PgError } from "../db/db.js";
import { ValidationError } from "../errors.js";
import { canonicalTimeZone, isTimeZone } from "../util/zoned-dates.js";

/**
 * One site (tenant): id (UUID), slug used in URLs, display name, and whether it is the Public Site
 * whose administrators manage every site.
 */
export interface Site {
  id: string;
  slug: string;
  name: string;
  isPublic: boolean;
  /** The IANA time zone dates are shown in to people of this site ("UTC" unless set). */
  timeZone: string;
}

interface SiteRow {
  id: string;
  slug: string;
  name: string;
  is_public: boolean;
  time_zone: string;
}

const toSite = (r: SiteRow): Site => ({
  id: r.id,
  slug: r.slug,
  name: r.name,
  isPublic: r.is_public,
  timeZone: r.time_zone,
});
const COLUMNS = "id, slug, name, is_public, time_zone";

/** Allowed site slugs: 1 to 63 lower-case letters, digits and dashes, not starting with a dash. */
export const SITE_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/**
 * A validation error about a site's fields (slug, name, time zone): 400 with each message beside its
 * field. `field` and `message` name the first; `fields` holds every field's message (by default
 * just that one).
 */
export class SiteError extends ValidationError {
  constructor(
    readonly field: "slug" | "name" | "timeZone",
    message: string,
    fields: Partial<Record<"slug" | "name" | "timeZone", string>> = { [field]: message },
  ) {
    super(message, fields);
  }
}

/**
 * The sites of this engine: the Public Site, lookups by slug and id, the list and creating a site.
 * `create` throws SiteError for a bad or taken slug, or a name that is empty, over 200 characters or
 * already another site's (compared case-insensitively: the site switcher shows names only).
 */
export class Sites {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  /**
   * Whether `user` administers the Public Site: only they manage sites, the hardware registry and
   * backups, and may work on another site's data.
   */
  async isPublicSiteAdmin(user: { role: string; siteId: string }): Promise<boolean> {
    if (user.role !== "admin") return false;
    return (await this.publicSite()).id === user.siteId;
  }

  async publicSite(): Promise<Site> {
    const { rows } = await this.db.query<SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE is_public`);
    return toSite(rows[0]!);
  }

  async bySlug(slug: string): Promise<Site | null> {
    const { rows } = await this.db.query<SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE slug = $1`, [slug]);
    return rows[0] ? toSite(rows[0]) : null;
  }

  async byId(id: string): Promise<Site | null> {
    const { rows } = await this.db.query<SiteRow>(`SELECT ${COLUMNS} FROM sites WHERE id = $1`, [id]);
    return rows[0] ? toSite(rows[0]) : null;
  }

  async list(): Promise<Site[]> {
    const { rows } = await this.db.query<SiteRow>(`SELECT ${COLUMNS} FROM sites ORDER BY is_public DESC, slug`);
    return rows.map(toSite);
  }

  async create(slug: string, name: string): Promise<Site> {
    // Every bad field at once, so the form shows all its messages in one round.
    const bad: Partial<Record<"slug" | "name", string>> = {};
    if (!SITE_SLUG_PATTERN.test(slug)) bad.slug = "must be lowercase letters, digits and dashes (up to 63)";
    if (!name.trim() || name.length > 200) bad.name = "must be 1 to 200 characters";
    const first = bad.slug ? "slug" : bad.name ? "name" : null;
    if (first) throw new SiteError(first, bad[first]!, bad);
    try {
      return await this.db.transaction(async (tx) => {
        // Serialises site creation, so two requests adding "Acme Ltd" at once cannot both pass the check.
        await tx.query("SELECT pg_advisory_xact_lock(7417003)");
        const same = await tx.query("SELECT 1 FROM sites WHERE lower(name) = lower($1)", [name.trim()]);
        if (same.rowCount) throw new SiteError("name", "is already used by another site");
        const { rows } = await tx.query<SiteRow>(
          `INSERT INTO sites (slug, name, created_at) VALUES ($1, $2, $3) RETURNING ${COLUMNS}`,
          [slug, name.trim(), this.clock.now()],
        );
        return toSite(rows[0]!);
      });
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) throw new SiteError("slug", "is already taken");
      throw err;
    }
  }

  /**
   * Sets a site's time zone, an IANA name this runtime's Intl knows ("Europe/Berlin", "UTC"), stored
   * in the canonical letter case (ECMA-402 `resolvedOptions().timeZone`: "utc" → "UTC",
   * "pacific/honolulu" → "Pacific/Honolulu") and under the name given when the runtime knows it by
   * an alias ("Asia/Kolkata" stays, not ICU's "Asia/Calcutta"); returns the site as saved. Throws SiteError on `timeZone` for an unknown zone (nothing changes), and
   * returns null for an unknown site.
   */
  async setTimeZone(siteId: string, timeZone: string): Promise<Site | null> {
    const given = timeZone.trim();
    if (!isTimeZone(given))
      throw new SiteError("timeZone", "must be an IANA time zone such as Europe/Berlin, America/New_York or UTC");
    // Only the letter case is taken from the runtime: its ICU names some zones by their old aliases
    // ("Asia/Kolkata" resolves to "Asia/Calcutta"), and the administrator's name is the current one.
    const canonical = canonicalTimeZone(given);
    const zone = canonical.toLowerCase() === given.toLowerCase() ? canonical : given;
    const { rows } = await this.db.query<SiteRow>(
      `UPDATE sites SET time_zone = $2 WHERE id = $1::uuid RETURNING ${COLUMNS}`,
      [siteId, zone],
    );
    return rows[0] ? toSite(rows[0]) : null;
  }
}
