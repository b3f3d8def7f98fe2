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
} from "../mfa/mfa-rollouts.js";
import type { Services } from "../services.js";
import { CliError, readArgs } from "./cli-args.js";
import { plural } from "../util/plural.js";

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

const CLI_ACTOR: MfaActor = { id: null, name: "cli", siteId: null };
const day = (d: Date) => d.toISOString().slice(0, 10);

/** The options of `mfa enable`. */
const ENABLE_OPTIONS = {
  role: { type: "string" },
  site: { type: "string" },
  where: { type: "string" },
  q: { type: "string" },
  mfa: { type: "string" },
  delay: { type: "string" },
  "dry-run": { type: "boolean" },
  "move-deadlines": { type: "boolean" },
  "include-inactive": { type: "boolean" },
} as const;

/** The options of `mfa policy`. */
const POLICY_OPTIONS = { site: { type: "string" }, roles: { type: "string" }, delay: { type: "string" } } as const;

/** Options only: a positional argument is named as unexpected. */
function optionsOnly<O extends Parameters<typeof readArgs>[1]>(args: readonly string[], options: O) {
  const { values, positionals } = readArgs(args, options, MFA_ROLLOUT_USAGE);
  if (positionals.length) throw new CliError(`unexpected arguments: ${positionals.join(" ")}`, MFA_ROLLOUT_USAGE);
  return values;
}

function days(raw: string | undefined, name: string): number {
  if (raw === undefined || !/^\d{1,4}$/.test(raw) || Number(raw) > 3650) {
    throw new CliError(`${name} must be a whole number of days from 0 to 3650`);
  }
  return Number(raw);
}

async function siteIdOf(s: Services, slug: string | undefined): Promise<string | null> {
  if (slug === undefined) return null;
  const site = await s.sites.bySlug(slug);
  if (!site) throw new CliError(`no site "${slug}"`);
  return site.id;
}

/**
 * Turns `mfa enable` arguments into the selection and options the web form
 * makes from the same choices. Throws CliError for bad use.
 */
export async function parseEnable(
  s: Services,
  args: readonly string[],
): Promise<{ selection: RolloutSelection; options: RolloutOptions; dryRun: boolean }> {
  const o = optionsOnly(args, ENABLE_OPTIONS);
  if (o.delay === undefined) throw new CliError("mfa enable needs --delay DAYS (0: setup at the next sign-in)");
  const selection: RolloutSelection = { siteId: await siteIdOf(s, o.site) };
  if (o.role !== undefined) {
    if (!(ROLES as readonly string[]).includes(o.role)) {
      throw new CliError(`--role must be admin, designer or user (got "${o.role}")`);
    }
    selection.role = o.role as RolloutRole;
  }
  if (o.where !== undefined) {
    const m = /^([^=]+)=(.*)$/.exec(o.where);
    if (!m) throw new CliError(`--where must be FIELD=VALUE (got "${o.where}")`);
    selection.where = { field: m[1]!.trim(), value: m[2]! };
  }
  if (o.q !== undefined) selection.q = o.q;
  if (o.mfa !== undefined) {
    // The same names as the web form's MFA state and /configure/users?mfa=.
    if (!isMfaState(o.mfa)) throw new CliError(`--mfa must be ${MFA_STATES.join(", ")} (got "${o.mfa}")`);
    selection.mfa = o.mfa;
  }
  return {
    selection,
    options: {
      enforcementDelayDays: days(o.delay, "--delay"),
      moveDeadlines: o["move-deadlines"] === true,
      includeInactive: o["include-inactive"] === true,
    },
    dryRun: o["dry-run"] === true,
  };
}

function listNames(names: string[], total: number): string {
  if (!names.length) return "";
  const more = total > names.length ? `\n  … and ${total - names.length} more` : "";
  return `\n  ${names.join("\n  ")}${more}`;
}

/** `mfa enable …`: returns what to print; throws CliError for bad use. */
export async function runMfaEnable(s: Services, args: readonly string[]): Promise<string> {
  const { selection, options, dryRun } = await parseEnable(s, args);
  try {
    const plan = await s.rollouts.plan(selection, options);
    const kept = options.moveDeadlines
      ? ""
      : `, ${plan.keptDeadline} already on ${plan.keptDeadline === 1 ? "keeps" : "keep"} their deadline`;
    const inactive = options.includeInactive
      ? ""
      : `, ${plan.skippedInactive} skipped as they cannot sign in (disabled, or no web or device access; --include-inactive includes them)`;
    const tail = `${kept}, ${plan.activated} already activated${inactive}; required from ${day(plan.requiredFrom)}`;
    if (dryRun) {
      const users = await s.rollouts.previewUsers(selection, options, { limit: USERNAMES_SHOWN });
      const n = plan.toEnable + plan.toMove;
      return (
        `dry run: would switch on ${plural(plan.toEnable, "user")} and move ${plural(plan.toMove, "deadline")}${tail}; nothing changed` +
        listNames(
          users.map((u) => u.username),
          n,
        )
      );
    }
    const r = await s.rollouts.apply(selection, options, CLI_ACTOR);
    return (
      `switched on ${plural(r.enabled, "user")} and moved ${plural(r.moved, "deadline")}${tail}` +
      listNames(r.usernames, r.enabled + r.moved)
    );
  } catch (err) {
    if (err instanceof RolloutInputError) throw new CliError(err.message);
    throw err;
  }
}

/** `mfa policy …`: shows or sets a site's policy (the Public Site by default). */
export async function runMfaPolicy(s: Services, args: readonly string[]): Promise<string> {
  const o = optionsOnly(args, POLICY_OPTIONS);
  const slug = o.site ?? "public";
  const site = await s.sites.bySlug(slug);
  if (!site) throw new CliError(`no site "${slug}"`);
  const describe = (p: { requiredRoles: string[]; defaultEnforcementDelayDays: number }) =>
    p.requiredRoles.length
      ? `MFA policy of ${site.slug}: new accounts with the ${p.requiredRoles.length === 1 ? "role" : "roles"} ${p.requiredRoles.join(", ")} ` +
        `start with MFA on, ${plural(p.defaultEnforcementDelayDays, "day")} to set up`
      : `MFA policy of ${site.slug}: none (no role requires MFA for new accounts)`;
  const current = await s.mfaPolicies.get(site.id);
  if (o.roles === undefined && o.delay === undefined) return describe(current);
  // As the web form, whose fields start filled with the site's current values: an option left
  // out keeps the current value, and the output says which was kept.
  const kept: string[] = [];
  let roles: string[] = current.requiredRoles;
  if (o.roles !== undefined) {
    roles = o.roles === "none" ? [] : o.roles.split(",").map((r) => r.trim());
  } else {
    kept.push(
      `roles kept: ${current.requiredRoles.join(", ") || "none"}, the site's current roles (--roles R,R or none changes them)`,
    );
  }
  let delay = current.defaultEnforcementDelayDays;
  if (o.delay !== undefined) {
    delay = days(o.delay, "--delay");
  } else {
    kept.push(
      `delay kept: ${plural(delay, "day")}, ${current.updatedAt ? "the site's current delay" : "the default offered while no policy is saved"} (--delay DAYS changes it)`,
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
    if (err instanceof RolloutInputError) throw new CliError(err.message);
    throw err;
  }
}
