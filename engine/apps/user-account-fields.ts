import { USER_ACCOUNTS_APP, type AppRegistry } from "./app-registry.js";

/** The user-accounts app's fields a designer added (no `x-system` binding), over one site or all. */
export interface UserAccountDesignerFields {
  /** Names a rollout's search may use: listed as searchable on at least one of the sites. */
  searchable: string[];
  /** Every designer field's name. */
  all: string[];
  /** The designer's label of each name; the first site's (the Public Site's) where sites differ. */
  labels: Record<string, string>;
}

/**
 * The designer fields of the user-accounts app on `siteId`, or on every site when it is null (a
 * rollout across sites may match a field any of them has). Reads each site's compiled app.
 */
export async function userAccountDesignerFields(
  apps: Pick<AppRegistry, "get">,
  sites: { list(): Promise<{ id: string }[]> },
  siteId: string | null,
): Promise<UserAccountDesignerFields> {
  const siteIds = siteId ? [siteId] : (await sites.list()).map((site) => site.id);
  const searchable = new Set<string>();
  const all = new Set<string>();
  const labels: Record<string, string> = {};
  for (const id of siteIds) {
    const app = await apps.get(id, USER_ACCOUNTS_APP);
    if (!app) continue;
    for (const f of app.fields) {
      if (f.system) continue;
      all.add(f.name);
      labels[f.name] ??= f.label;
    }
    for (const name of app.list.searchable) if (all.has(name)) searchable.add(name);
  }
  return { searchable: [...searchable], all: [...all], labels };
}
