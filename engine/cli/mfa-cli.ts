import type { Services } from "../services.js";
import type { MfaActor } from "../mfa/mfa-model.js";
import { factorList, type MfaStatus } from "../mfa/status.js";
import { CliError, readArgs } from "./cli-args.js";
import { plural } from "../util/plural.js";

/** `formgate mfa status|reset|unlock USER`: what an operator needs when a user is stuck. */

export const MFA_USAGE = `  mfa status USERNAME                      show a user's MFA state (never the secret)
  mfa reset USERNAME                       delete the user's MFA enrollment and sign them out;
                                           with MFA on, the next sign-in asks for a new setup
  mfa unlock USERNAME                      lift a lock caused by failed codes or passwords`;

const CLI_ACTOR: MfaActor = { id: null, name: "cli", siteId: null };
const iso = (d: Date | null) => (d ? d.toISOString().replace(/\.\d{3}Z$/, "Z") : "-");

/**
 * The MFA status of one account as lines of text for the CLI: state, who enabled or disabled it
 * when, enforcement delay and deadline, activation; times in ISO 8601 UTC.
 */
export function describeStatus(username: string, siteSlug: string, s: MfaStatus): string {
  const lines = [`user:     ${username} (site ${siteSlug})`, `status:   ${s.message}`];
  if (s.enabled) {
    lines.push(
      `enabled:  ${iso(s.enabledAt)} by ${s.enabledBy ?? "-"}, delay ${plural(s.enforcementDelayDays, "day")}, required from ${iso(s.requiredFrom)}`,
    );
  } else if (s.disabledAt) {
    lines.push(`disabled: ${iso(s.disabledAt)} by ${s.disabledBy ?? "-"}`);
  }
  if (s.activation) {
    const a = s.activation;
    lines.push(`method:   ${factorList(a)}, activated ${iso(a.at)}`);
  }
  // The status message mentions the lock only while it lasts (it is computed with the service's clock).
  lines.push(`locked:   ${s.message.includes("· locked") ? `until ${iso(s.lockedUntil)}` : "no"}`);
  return lines.join("\n");
}

/**
 * Runs one mfa subcommand (`status|reset|unlock USERNAME`, no options) and returns what to
 * print; throws CliError for bad use or an unknown user.
 */
export async function runMfaCommand(s: Services, args: readonly string[]): Promise<string> {
  const [sub, username, ...rest] = readArgs(args, {}, MFA_USAGE).positionals;
  if (sub !== "status" && sub !== "reset" && sub !== "unlock") {
    throw new CliError(`unknown mfa command "${sub ?? ""}": use mfa status|reset|unlock USERNAME`);
  }
  if (!username) throw new CliError(`mfa ${sub} needs a USERNAME`);
  if (rest.length) throw new CliError(`unexpected arguments: ${rest.join(" ")}`);
  const user = await s.users.byUsername(username);
  if (!user) throw new CliError(`no user "${username}"`);
  const site = await s.sites.byId(user.siteId);
  const slug = site?.slug ?? "?";
  if (sub === "status") return describeStatus(user.username, slug, await s.mfa.statusOf(user.id));
  if (sub === "reset") {
    const before = await s.mfa.statusOf(user.id);
    const after = await s.mfa.settings.reset(user.id, CLI_ACTOR);
    const what = before.activation ? "enrollment deleted" : "no enrollment to delete";
    const next = after.enabled ? "the next sign-in asks for a new setup" : "MFA is off for this user";
    return `MFA of ${user.username} reset: ${what}, sessions signed out; ${next}.\n${describeStatus(user.username, slug, after)}`;
  }
  const wasLocked = await s.mfa.settings.unlock(user.id, CLI_ACTOR);
  return wasLocked ? `${user.username} unlocked.` : `${user.username} was not locked.`;
}
