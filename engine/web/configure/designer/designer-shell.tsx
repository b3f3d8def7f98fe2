import { createContext, useContext, type Child } from "hono/jsx";
import { CsrfField, Layout } from "../../../render/layout.js";
import type { PageFrame } from "../../../render/record-pages.js";
import { isoMinuteWithZone } from "../../../util/zoned-dates.js";

/**
 * "2026-11-30 05:05 Europe/Berlin": a stored time as the designer pages show it, to the minute in
 * the site's time zone (`zone`, the page frame's; absent: UTC); "" for none.
 */
export const when = (d: Date | null, zone: string | undefined) => (d ? isoMinuteWithZone(d, zone) : "");

/** The tabs of an app's designer; JSON is today's editor, for experts. */
export type DesignerTab = "form" | "list" | "settings" | "history" | "json";

/** The designer's tab bar (links: every tab is a page of its own, so it works without JavaScript). */
export function DesignerTabs({ appId, tab }: { appId: string; tab: DesignerTab }) {
  const base = `/configure/apps/${appId}`;
  const tabs: [DesignerTab, string, string][] = [
    ["form", "Form", base],
    ["list", "List", `${base}/list`],
    ["settings", "Settings", `${base}/settings`],
    ["history", "History", `${base}/history`],
    ["json", "JSON", `${base}?tab=json`],
  ];
  return (
    <nav aria-label="Designer" class="designer-tabs">
      <ul>
        {tabs.map(([key, label, href]) => (
          <li>
            <a href={href} aria-current={key === tab ? "page" : undefined}>
              {label}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

/** Who has unpublished changes and when; a second designer is told it is someone else's draft. */
export interface DraftInfo {
  by: string;
  at: Date;
  mine: boolean;
  /** A version was published after the draft started: publishing it is refused. */
  stale: boolean;
}

/**
 * What every page of the visual designer shows about the app: its id, title, published version,
 * record count, the current draft and why the last action was refused.
 */
export interface DesignerFrame {
  frame: PageFrame;
  appId: string;
  title: string;
  publishedVersion: number;
  /** A new app never published: "Not published yet", and nobody but designers sees it. */
  unpublished?: boolean;
  recordCount: number;
  listHref: string;
  draft: DraftInfo | null;
  /** The draft stamp of what the page shows, posted back by every form (see DraftStampField). */
  stamp: string;
  /** Why the last action was refused as a whole (e.g. Publish after someone else published). */
  problem?: string;
}

/** The draft stamp (engine/apps/drafts.ts draftStamp) of the page being rendered; "" outside the designer. */
export const DraftStampContext = createContext("");

/**
 * The hidden `draftStamp` field every designer form posts: which draft the page showed, so a
 * change made on a page another designer's change has overtaken is refused (409), not saved over it.
 */
export function DraftStampField() {
  const stamp = useContext(DraftStampContext);
  return stamp ? <input type="hidden" name="draftStamp" value={stamp} /> : null;
}

/** A one-button POST form of the designer (Publish, Discard, Up, Restore…), CSRF field included. */
export function ButtonForm(p: {
  action: string;
  csrf: string;
  label: Child;
  class?: string;
  /** The button's name and value, when the action needs one (e.g. direction=up). */
  name?: string;
  value?: string;
  ariaLabel?: string;
  /** Hidden fields posted with the button. */
  hidden?: Record<string, string>;
}) {
  return (
    <form method="post" action={p.action} class="inline">
      <CsrfField token={p.csrf} />
      <DraftStampField />
      {Object.entries(p.hidden ?? {}).map(([n, v]) => (
        <input type="hidden" name={n} value={v} />
      ))}
      <button type="submit" name={p.name} value={p.value} class={p.class} aria-label={p.ariaLabel}>
        {p.label}
      </button>
    </form>
  );
}

/**
 * Who changed the draft and when, with Publish and Discard; `oob`: sent beside an htmx answer of
 * the Form tab, it replaces the page's draft bar (hx-swap-oob).
 */
export function DraftBar(p: DesignerFrame & { oob?: boolean }) {
  const d = p.draft;
  const csrf = p.frame.csrfToken;
  return (
    <section class="draft-bar" aria-label="Draft" id="draft-bar" hx-swap-oob={p.oob ? "true" : undefined}>
      {d && !d.mine ? (
        <p class="notice warning" role="alert" id="other-designer">
          {d.by} is also changing this app: the draft was last changed by {d.by} on {when(d.at, p.frame.timeZone)}. Your
          changes go into the same draft.
        </p>
      ) : null}
      {d?.stale ? (
        <p class="notice error" role="alert">
          This app was published again after the draft started. Publishing the draft is refused: discard it and apply
          your changes again.
        </p>
      ) : null}
      <p>
        Published version:{" "}
        <strong id="published-version">
          {p.unpublished ? "Not published yet" : p.publishedVersion === 0 ? "0 (built-in)" : p.publishedVersion}
        </strong>{" "}
        · {p.recordCount} record{p.recordCount === 1 ? "" : "s"} ·{" "}
        {d ? (
          <span id="draft-state">
            Unpublished changes by {d.by}, {when(d.at, p.frame.timeZone)}
          </span>
        ) : (
          <span id="draft-state">No unpublished changes</span>
        )}{" "}
        {p.unpublished ? (
          <>· nobody but designers sees it until you publish</>
        ) : (
          <>
            · <a href={p.listHref}>Open the app</a>
          </>
        )}
      </p>
      {d ? (
        <div class="draft-actions">
          <ButtonForm action={`/configure/apps/${p.appId}/publish`} csrf={csrf} label="Publish" />{" "}
          <ButtonForm
            action={`/configure/apps/${p.appId}/discard`}
            csrf={csrf}
            label="Discard draft"
            class="secondary outline"
          />
        </div>
      ) : null}
    </section>
  );
}

/** The frame every designer tab shares: breadcrumb, title, message, draft bar and tabs. */
export function DesignerShell(p: DesignerFrame & { tab: DesignerTab; children?: Child }) {
  return (
    <DraftStampContext.Provider value={p.stamp}>
      <Layout
        title={`Designer: ${p.title}`}
        csrfToken={p.frame.csrfToken}
        user={p.frame.user}
        siteName={p.frame.siteName}
      >
        <Breadcrumb here={p.title} />
        <h1>{p.title}</h1>
        {p.problem ? (
          <p class="notice error" role="alert" id="designer-problem">
            {p.problem}
          </p>
        ) : null}
        <DraftBar {...p} />
        <DesignerTabs appId={p.appId} tab={p.tab} />
        {p.children}
        <script src="/assets/sortable.min.js" defer></script>
        <script src="/public/designer.js" defer></script>
      </Layout>
    </DraftStampContext.Provider>
  );
}

/** "Apps › here": the breadcrumb of every designer page. */
export function Breadcrumb({ here }: { here: string }) {
  return (
    <nav aria-label="breadcrumb">
      <ul>
        <li>
          <a href="/configure/apps">Apps</a>
        </li>
        <li>{here}</li>
      </ul>
    </nav>
  );
}
