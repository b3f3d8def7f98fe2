import type { Actor } from "../../engine/apps/record-store-contract.js";
import type { Services } from "../../engine/services.js";
import type { MfaActor } from "../../engine/mfa/mfa-model.js";

/**
 * Saves fields of a user account the way Configure > Users does (the user-accounts app's store,
 * one transaction with its MFA settings and credential revocation). `changes` maps field names
 * of forms/user-accounts.app.json (disabled, webAccess, deviceAccess, password, mfaEnabled, …)
 * to their new values; every other field is left as it is.
 */
export async function saveUser(
  s: Services,
  userId: string,
  changes: Record<string, unknown>,
  actor: Actor = { id: null, name: "test admin" },
): Promise<void> {
  const user = await s.users.byId(userId);
  if (!user) throw new Error(`no user ${userId}`);
  const app = await s.apps.get(user.siteId, "user-accounts");
  if (!app) throw new Error("no user-accounts app");
  const store = s.apps.storeFor(app);
  const ctx = { siteId: user.siteId, actor };
  const current = await store.get(app, ctx, userId);
  if (!current) throw new Error(`user ${userId} is not a record of user-accounts`);
  await store.update(app, ctx, userId, {
    expectedVersion: current.version,
    values: { ...current.values, ...changes },
    fields: Object.keys(changes),
  });
}

/** The Public Site and its administrator "root", which most suites start from. */
export interface PublicSiteAdmin {
  siteId: string;
  rootId: string;
  /** root as the actor of MFA changes and policies (MfaActor). */
  root: MfaActor;
}

/** Creates the administrator "root" (with `password`) on the Public Site. */
export async function publicSiteAdmin(s: Services, password: string): Promise<PublicSiteAdmin> {
  const siteId = (await s.sites.publicSite()).id;
  const rootId = (await s.users.create({ siteId, username: "root", password, role: "admin" })).id;
  return { siteId, rootId, root: { id: rootId, name: "root", siteId } };
}
