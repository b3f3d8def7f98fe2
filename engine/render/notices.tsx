/**
 * What a full page shows around its own content, the same on every page: the
 * one-time message after a change, the MFA grace-period banner, and on
 * Configure pages the Configure navigation. The route layer gathers the facts
 * (engine/web/http/page-extras.ts); this module only renders them.
 */
import { FormField } from "./form-field.js";
import { CsrfField } from "./layout.js";

/** The places of the Configure navigation; `mfa` covers /configure/mfa and its rollout and policy pages. */
export type ConfigurePlace =
  "overview" | "users" | "mfa" | "mfa-hardware" | "apps" | "notifications" | "audit" | "backups" | "sites";

/**
 * What the Configure navigation shows: the current place, the user's role, the active site and, for
 * administrators of the Public Site, every site to switch to.
 */
export interface ConfigureNavFacts {
  current: ConfigurePlace | null;
  role: "admin" | "designer" | "user";
  activeSite: { slug: string; name: string };
  /** Every site, for the switcher: only for administrators of the Public Site (null otherwise). */
  sites: { slug: string; name: string }[] | null;
}

/**
 * What every full page shows above its content: the one-time flash message, the MFA grace-period
 * banner and the Configure navigation.
 */
export interface PageExtras {
  /** The one-time message (flash) this page shows. */
  flash: string | null;
  /** In the grace period: days left to set up MFA (0 on the last day). */
  mfaDaysLeft: number | null;
  nav: ConfigureNavFacts | null;
}

/** The message region: always present (htmx swaps a message into it out of band), role="status". */
export function FlashRegion({ text }: { text: string | null }) {
  return (
    <div id="flash-region">
      {text ? (
        <p role="status" class="flash">
          {text}
        </p>
      ) : null}
    </div>
  );
}

/** The grace-period banner: how long is left and the way to the setup. */
export function MfaBanner({ daysLeft }: { daysLeft: number }) {
  const left = daysLeft === 0 ? "last day" : daysLeft === 1 ? "1 day left" : `${daysLeft} days left`;
  return (
    <p class="mfa-banner">
      <strong>Set up multi-factor authentication (MFA) — {left}.</strong> <a href="/mfa/setup">Set up now</a>
    </p>
  );
}

interface NavItem {
  place: ConfigurePlace;
  href: string;
  label: string;
}

/** The items a role sees: designers only design apps; MFA Hardware and Backups live on the Public Site. */
export function configureNavItems(f: Pick<ConfigureNavFacts, "role" | "sites">): NavItem[] {
  const items: NavItem[] = [{ place: "overview", href: "/configure", label: "Overview" }];
  if (f.role === "admin") {
    items.push(
      { place: "users", href: "/configure/users", label: "Users" },
      { place: "mfa", href: "/configure/mfa", label: "MFA" },
    );
    if (f.sites) items.push({ place: "mfa-hardware", href: "/configure/mfa-hardware", label: "MFA Hardware" });
  }
  items.push({ place: "apps", href: "/configure/apps", label: "Apps" });
  if (f.role === "admin") {
    items.push({ place: "notifications", href: "/configure/notifications", label: "Notifications" });
    items.push({ place: "audit", href: "/configure/audit", label: "Audit log" });
    if (f.sites) items.push({ place: "backups", href: "/configure/backups", label: "Backups" });
    items.push({ place: "sites", href: "/configure/sites", label: "Sites" });
  }
  return items;
}

/** The place a Configure path belongs to, for aria-current; null outside Configure. */
export function configurePlaceOf(path: string): ConfigurePlace | null {
  const m = /^\/configure(?:\/([^/]+))?/.exec(path);
  if (!m) return null;
  switch (m[1]) {
    case undefined:
      return "overview";
    case "users":
    case "mfa":
    case "mfa-hardware":
    case "apps":
    case "notifications":
    case "audit":
    case "backups":
    case "sites":
      return m[1];
    case "site":
      return "sites";
    default:
      return null;
  }
}

/** The one Configure navigation: every Configure page shows it (through the page layout). */
export function ConfigureNav({ facts, csrfToken }: { facts: ConfigureNavFacts; csrfToken: string }) {
  const sites = facts.sites;
  return (
    <div class="configure-bar">
      <nav aria-label="Configure" class="configure-nav">
        <ul>
          {configureNavItems(facts).map((item) => (
            <li>
              <a href={item.href} aria-current={item.place === facts.current ? "page" : undefined}>
                {item.label}
              </a>
            </li>
          ))}
        </ul>
      </nav>
      {sites ? (
        <form method="post" action="/configure/site" class="site-switcher">
          <CsrfField token={csrfToken} />
          <FormField
            id="site-switcher"
            label="Site"
            control={(a) => (
              <select {...a} name="site">
                {sites.map((s) => (
                  <option value={s.slug} selected={s.slug === facts.activeSite.slug}>
                    {s.name}
                  </option>
                ))}
              </select>
            )}
          />
          <button type="submit" class="secondary outline">
            Switch
          </button>
        </form>
      ) : (
        <p class="site-badge">
          Site: <strong>{facts.activeSite.name}</strong>
        </p>
      )}
    </div>
  );
}

/** Everything PageExtras adds before the content of a full page. */
export function PageTop({ extras, csrfToken }: { extras: PageExtras; csrfToken: string }) {
  return (
    <>
      {extras.nav ? <ConfigureNav facts={extras.nav} csrfToken={csrfToken} /> : null}
      {extras.mfaDaysLeft !== null ? <MfaBanner daysLeft={extras.mfaDaysLeft} /> : null}
      <FlashRegion text={extras.flash} />
    </>
  );
}

/** The message region again, for an htmx fragment to swap in out of band. */
export function FlashOutOfBand({ text }: { text: string }) {
  return (
    <div id="flash-region" hx-swap-oob="true">
      <p role="status" class="flash">
        {text}
      </p>
    </div>
  );
}
