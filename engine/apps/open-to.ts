import type { AppDefinition, AppOpenTo } from "../schema/types.js";

// Who may open an app, by the engine's three roles (engine/auth/user-accounts.ts: user, designer,
// admin), which rank user < designer < admin: an app open to designers is open to administrators.
// Opening means seeing the app in the lists and reading its records; only administrators change
// records whatever the setting.

const RANK: Record<AppOpenTo, number> = { user: 0, designer: 1, admin: 2 };

/** Every value of openTo, least restrictive first. */
export const OPEN_TO: readonly AppOpenTo[] = ["user", "designer", "admin"];

/** The designer's words for each openTo value. */
export const OPEN_TO_LABELS: Record<AppOpenTo, string> = {
  user: "Every signed-in user of the site",
  designer: "Designers and administrators",
  admin: "Administrators only",
};

/**
 * Who may open an app a definition describes: its `openTo`, else "admin" for `adminOnly: true`,
 * else "user". An app over user accounts (`usersApp`) is always "admin".
 */
export function openToOf(definition: AppDefinition, usersApp: boolean): AppOpenTo {
  if (usersApp || definition.adminOnly === true) return "admin";
  return definition.openTo ?? "user";
}

/** True when a user of `role` ("user", "designer" or "admin"; anything else ranks lowest) may open an app open to `openTo`. */
export function mayOpen(openTo: AppOpenTo, role: string): boolean {
  const rank = role in RANK ? RANK[role as AppOpenTo] : -1;
  return rank >= RANK[openTo];
}

/** The refusal a user gets who may not open an app open to `openTo` (HTTP 403). */
export function notOpenMessage(openTo: AppOpenTo): string {
  return openTo === "admin"
    ? "Only administrators can open this app."
    : "Only designers and administrators can open this app.";
}

/**
 * True when a user of `role` may create, change and delete the records of the apps they open:
 * administrators only, whatever the app's openTo (the web pages and the device API ask here).
 */
export function mayChangeRecords(role: string): boolean {
  return role === "admin";
}
