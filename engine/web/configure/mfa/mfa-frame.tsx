/**
 * What the pages of Configure > MFA share: the frame every route hands its page, the area's navigation and the policy's wording.
 */
import type { SiteMfaPolicy } from "../../../mfa/site-policy.js";
import type { SitePageFrame } from "../../http/page-frame.js";
import { dayIn, DEFAULT_TIME_ZONE, minuteIn } from "../../../util/zoned-dates.js";
import { listWords, plural } from "../../../util/plural.js";

/** What every page of this area gets from its route (pageFrameOf). */
export type MfaFrame = SitePageFrame;

/**
 * A deadline or a start as the pages show it, in the site's zone to the minute: "13 December 2026,
 * 00:00 (Asia/Tokyo)" (engine/util/zoned-dates.ts).
 */
export const when = (d: Date, frame: { timeZone?: string }) => minuteIn(d, frame.timeZone ?? DEFAULT_TIME_ZONE);
/** One deadline in other sites' zones (an every-site rollout): "Tokyo Office: 20 December 2026, 09:00 (Asia/Tokyo)". */
export function SiteDeadlines({ at, zones }: { at: Date; zones?: { timeZone: string; names: string[] }[] }) {
  return zones?.length ? (
    <ul class="site-deadlines">
      {zones.map((z) => (
        <li data-site-zone={z.timeZone}>
          {z.names.join(", ")}: {minuteIn(at, z.timeZone)}
        </li>
      ))}
    </ul>
  ) : null;
}
/** A calendar day in the site's zone: "13 December 2026". */
export const day = (d: Date, frame: { timeZone?: string }) => dayIn(d, frame.timeZone ?? DEFAULT_TIME_ZONE);

/** `n` as a percentage of `of` with one decimal ("–" when there is nothing to count). */
export const pct = (n: number, of: number) => (of ? `${Math.round((n / of) * 1000) / 10}%` : "–");

/** The words of each role value. */
export const ROLE_LABELS: Record<string, string> = { admin: "Administrator", designer: "App designer", user: "User" };

/** The area's links: Progress, Roll out, Policy for new accounts (the current one marked). */
export function MfaNav({ current }: { current: "progress" | "rollout" | "policy" }) {
  const item = (key: typeof current, href: string, label: string) => (
    <li>
      <a href={href} aria-current={key === current ? "page" : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav aria-label="MFA">
      <ul class="configure-links">
        {item("progress", "/configure/mfa", "Progress")}
        {item("rollout", "/configure/mfa/rollout", "Roll out")}
        {item("policy", "/configure/mfa/policy", "Policy for new accounts")}
      </ul>
    </nav>
  );
}

/** Roles by their names on the pages: "the role User", "the roles App designer and User". */
export const rolesInWords = (roles: readonly string[]) =>
  `the ${roles.length === 1 ? "role" : "roles"} ${listWords(roles.map((r) => ROLE_LABELS[r] ?? r))}`;

/** A site's policy in words ("none" without required roles). */
export function PolicyText({ policy }: { policy: SiteMfaPolicy }) {
  return policy.requiredRoles.length ? (
    <>
      new accounts with {rolesInWords(policy.requiredRoles)} start with MFA on,{" "}
      {plural(policy.defaultEnforcementDelayDays, "day")} to set up
    </>
  ) : (
    <>none</>
  );
}
