import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import { isPgError, PgError } from "../db/db.js";
import { ValidationError } from "../errors.js";

export interface Site {
  id: string;
  slug: string;
  name: string;
  isPublic: boolean;
}

interface SiteRow {
  id: string;
  slug: string;
  name: string;
  is_public: boolean;
}

const toSite = (r: SiteRow): Site => ({ id: r.id, slug: r.slug, name: r.name, isPublic: r.is_public });

export const SITE_SLUG_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

export class SiteError extends ValidationError {
  constructor(
    readonly field: "slug" | "name",
    message: string,
  ) {
    super(message, { [field]: message });
  }
}

export class Sites {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
  ) {}

  async publicSite(): Promise<Site> {
    const { rows } = await this.db.query<SiteRow>("SELECT id, slug, name, is_public FROM sites WHERE is_public");
    return toSite(rows[0]!);
  }

  async bySlug(slug: string): Promise<Site | null> {
    const { rows } = await this.db.query<SiteRow>("SELECT id, slug, name, is_public FROM sites WHERE slug = $1", [
      slug,
    ]);
    return rows[0] ? toSite(rows[0]) : null;
  }

  async byId(id: string): Promise<Site | null> {
    const { rows } = await this.db.query<SiteRow>("SELECT id, slug, name, is_public FROM sites WHERE id = $1", [id]);
    return rows[0] ? toSite(rows[0]) : null;
  }

  async list(): Promise<Site[]> {
    const { rows } = await this.db.query<SiteRow>(
      "SELECT id, slug, name, is_public FROM sites ORDER BY is_public DESC, slug",
    );
    return rows.map(toSite);
  }

  async create(slug: string, name: string): Promise<Site> {
    if (!SITE_SLUG_PATTERN.test(slug))
      throw new SiteError("slug", "must be lowercase letters, digits and dashes (up to 63)");
    if (!name.trim() || name.length > 200) throw new SiteError("name", "must be 1 to 200 characters");
    try {
      const { rows } = await this.db.query<SiteRow>(
        "INSERT INTO sites (slug, name, created_at) VALUES ($1, $2, $3) RETURNING id, slug, name, is_public",
        [slug, name.trim(), this.clock.now()],
      );
      return toSite(rows[0]!);
    } catch (err) {
      if (isPgError(err, PgError.uniqueViolation)) throw new SiteError("slug", "is already taken");
      throw err;
    }
  }
}
