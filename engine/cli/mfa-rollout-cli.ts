/**
 * `formgate mfa enable …` (a rollout, the same service and rules as
 * Configure > MFA > Rollout) and `formgate mfa policy …` (a site's policy for
 * accounts to come).
 */
import type { MfaActor } from "../mfa/mfa-model.js";
import { isMfaState, MFA_STATES } from "../mfa/mfa-states.js";
import {
  RolloutInputError,
  ROLES,
  USERNAMES_SHOWN,
  type RolloutOptions,
  type RolloutRole,
  type RolloutSelection,
} from "../mfa/rollout.js";
import type { Services } from "../services.js";

/** Usage lines of `mfa enable` (bulk rollout) and `mfa policy`, part of the CLI help. */
export const MFA_ROLLOUT_USAGE = `  mfa enable [--role R] [--site SLUG] [--where FIELD=VALUE] [--q TEXT]
             [--mfa off|pending|overdue|activated|locked] --delay DAYS
             [--dry-run] [--move-deadlines] [--include-inactive]
                                           switch MFA on for every matching user (all sites
                                           without --site) with DAYS of grace; users already on
                                           keep their deadline unless --move-deadlines; users
                                           who cannot sign in (disabled, no web or device
                                           access) are skipped unless --include-inactive;
                                           --dry-run only shows who would change
  mfa policy [--site SLUG] [--roles R,R|none] [--delay DAYS]
                                           show, or set, the roles new accounts get MFA in
                                           and their delay; an option left out keeps the
                                           site's current value (14 days while none is saved)`;

/** Bad use of the command: the message says what to change. */
export class MfaRolloutCliError extends Error {}

const CLI_ACTOR: MfaActor = { id: null, name: "cli", siteId: null };
const day = (d: Date) => d.toISOString().slice(0, 10);

/** Reads `--name value` and `--flag` options; anything else is an error naming it. */
function parseOptions(args: string[], valued: string[], flags: string[]): Map<string, string | true> {
  const out = new Map<string, string | true>();
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    if (flags.includes(a)) {
      out.set(a, true);
    } else if (valued.includes(a)) {
      const v = args[i + 1];
      if (v === undefined || v.startsWith("--")) throw new MfaRolloutCliError(`${a} needs a value`);
      if (out.has(a)) throw new MfaRolloutCliError(`${a} is given twice`);
      out.set(a, v);
      i++;
    } else {
      throw new MfaRolloutCliError(`unknown option "${a}" (options: ${[...valued, ...flags].join(" ")})`);
    }
  }
  return out;
}

function days(raw: string | true | undefined, name: string): number {
  if (typeof raw !== "string" || !/^\d{1,4}$/.test(raw) || Number(raw) > 3650) {
    throw new MfaRolloutCliError(`${name} must be a whole number of days from 0 to 3650`);
  }
  return Number(raw);
}

async function siteIdOf(s: Services, slug: string | true | undefined): Promise<string | null> {
  if (slug === undefined) return null;
  const site = await s.sites.bySlug(String(slug));
  if (!site) throw new MfaRolloutCliError(`no site "${String(slug)}"`);
  return site.id;
}

/**
 * Turns `mfa enable` arguments into the selection and options the web form
 * makes from the same choices. Throws MfaRolloutCliError for bad use.
 */
export async function parseEnable(
  s: Services,
  args: string[],
): Promise<{ selection: RolloutSelection; options: RolloutOptions; dryRun: boolean }> {
  const o = parseOptions(
    args,
    ["--role", "--site", "--where", "--q", "--mfa", "--delay"],
    ["--dry-run", "--move-deadlines", "--include-inactive"],
  );
  if (!o.has("--delay")) throw new MfaRolloutCliError("mfa enable needs --delay DAYS (0: setup at the next sign-in)");
  const selection: RolloutSelection = { siteId: await siteIdOf(s, o.get("--site")) };
  const role = o.get("--role");
  if (role !== undefined) {
    if (!(ROLES as readonly string[]).includes(String(role))) {
      throw new MfaRolloutCliError(`--role must be admin, designer or user (got "${String(role)}")`);
    }
    selection.role = role as RolloutRole;
  }
  const where = o.get("--where");
  if (where !== undefined) {
    const m = /^([^=]+)=(.*)$/.exec(String(where));
    if (!m) throw new MfaRolloutCliError(`--where must be FIELD=VALUE (got "${String(where)}")`);
    selection.where = { field: m[1]!.trim(), value: m[2]! };
  }
  const q = o.get("--q");
  if (q !== undefined) selection.q = String(q);
  const mfa = o.get("--mfa");
  if (mfa !== undefined) {
    // The same names as the web form's MFA state and /configure/users?mfa=.
    if (!isMfaState(mfa)) throw new MfaRolloutCliError(`--mfa must be ${MFA_STATES.join(", ")} (got "${String(mfa)}")`);
    selection.mfa = mfa;
  }
  return {
    selection,
    options: {
      enforcementDelayDays: days(o.get("--delay"), "--delay"),
      moveDeadlines: o.has("--move-deadlines"),
      includeInactive: o.has("--include-inactive"),
    },
    dryRun: o.has("--dry-run"),
  };
}

function listNames(names: string[], total: number): string {
  if (!names.length) return "";
  const more = total > names.length ? `\n  … and ${total - names.length} more` : "";
  return `\n  ${names.join("\n  ")}${more}`;
}

/** `mfa enable …`: returns what to print; throws MfaRolloutCliError for bad use. */
export async function runMfaEnable(s: Services, args: string[]): Promise<string> {
  const { selection, options, dryRun } = await parseEnable(s, args);
  try {
    const plan = await s.rollouts.plan(selection, options);
    const kept = options.moveDeadlines ? "" : `, ${plan.keptDeadline} already on keep their deadline`;
    const inactive = options.includeInactive
      ? ""
      : `, ${plan.skippedInactive} skipped as they cannot sign in (disabled, or no web or device access; --include-inactive includes them)`;
    const tail = `${kept}, ${plan.activated} already activated${inactive}; required from ${day(plan.requiredFrom)}`;
    if (dryRun) {
      const users = await s.rollouts.previewUsers(selection, options, { limit: USERNAMES_SHOWN });
      const n = plan.toEnable + plan.toMove;
      return (
        `dry run: would switch on ${plan.toEnable} user(s) and move ${plan.toMove} deadline(s)${tail}; nothing changed` +
        listNames(
          users.map((u) => u.username),
          n,
        )
      );
    }
    const r = await s.rollouts.apply(selection, options, CLI_ACTOR);
    return (
      `switched on ${r.enabled} user(s) and moved ${r.moved} deadline(s)${tail}` +
      listNames(r.usernames, r.enabled + r.moved)
    );
  } catch (err) {
    if (err instanceof RolloutInputError) throw new MfaRolloutCliError(err.message);
    throw err;
  }
}

/** `mfa policy …`: shows or sets a site's policy (the Public Site by default). */
export async function runMfaPolicy(s: Services, args: string[]): Promise<string> {
  const o = parseOptions(args, ["--site", "--roles", "--delay"], []);
  const slug = String(o.get("--site") ?? "public");
  const site = await s.sites.bySlug(slug);
  if (!site) throw new MfaRolloutCliError(`no site "${slug}"`);
  const describe = (p: { requiredRoles: string[]; defaultEnforcementDelayDays: number }) =>
    p.requiredRoles.length
      ? `MFA policy of ${site.slug}: new accounts in ${p.requiredRoles.join(", ")} start with MFA on, ` +
        `${p.defaultEnforcementDelayDays} day(s) to set up`
      : `MFA policy of ${site.slug}: none (no role requires MFA for new accounts)`;
  const current = await s.mfaPolicies.get(site.id);
  if (!o.has("--roles") && !o.has("--delay")) return describe(current);
  // As the web form, whose fields start filled with the site's current values: an option left
  // out keeps the current value, and the output says which was kept.
  const kept: string[] = [];
  let roles: string[] = current.requiredRoles;
  if (o.has("--roles")) {
    const rawRoles = String(o.get("--roles"));
    roles = rawRoles === "none" ? [] : rawRoles.split(",").map((r) => r.trim());
  } else {
    kept.push(
      `roles kept: ${current.requiredRoles.join(", ") || "none"}, the site's current roles (--roles R,R or none changes them)`,
    );
  }
  let delay = current.defaultEnforcementDelayDays;
  if (o.has("--delay")) {
    delay = days(o.get("--delay"), "--delay");
  } else {
    kept.push(
      `delay kept: ${delay} day(s), ${current.updatedAt ? "the site's current delay" : "the default offered while no policy is saved"} (--delay DAYS changes it)`,
    );
  }
  try {
    const saved = await s.mfaPolicies.set(
      site.id,
      { requiredRoles: roles, defaultEnforcementDelayDays: delay },
      CLI_ACTOR,
    );
    return [describe(saved), ...kept].join("\n");
  } catch (err) {
    if (err instanceof RolloutInputError) throw new MfaRolloutCliError(err.message);
    throw err;
  }
}
