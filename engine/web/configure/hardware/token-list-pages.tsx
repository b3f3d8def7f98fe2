import { InputField } from "../../../render/form-field.js";
import { ResetConfirm } from "../../../render/reset-confirm.js";
import { plural } from "../../../util/plural.js";
import { isoMinuteWithZone } from "../../../util/zoned-dates.js";
import { UserLink } from "../../../render/user-link.js";
import { CsrfField, Layout, type PageUser } from "../../../render/layout.js";
import type { CodeMatch, HardwareToken, TokenPage } from "../../../mfa/hardware/token-registry.js";

// Configure > MFA Hardware: the token list with its actions, Find token by code, and the confirmation
// of an Unassign that resets a user's MFA and of a Delete; what the sub-pages share (the sub-navigation, the base
// path). Register token: mfa-hardware-register-pages.tsx; Import tokens: mfa-hardware-import-pages.tsx.

/** What every MFA Hardware page gets: the CSRF token, the signed-in user, the managed site's name. */
export interface HardwarePageCommon {
  csrfToken: string;
  user: PageUser;
  siteName?: string;
  /** The site the administrator works on: its users' names link to their records. */
  activeSiteId?: string;
  /** That site's time zone (IANA name), in which the pages show times; absent: UTC. */
  timeZone?: string;
}

/** The path under which every MFA Hardware page lives. */
export const BASE = "/configure/mfa-hardware";

/** "2026-12-09 17:32 Europe/Berlin": a time in the site's zone, named, as the rest of the console shows one. */
function When(props: { at: Date; timeZone: string | undefined }) {
  return <time datetime={props.at.toISOString()}>{isoMinuteWithZone(props.at, props.timeZone)}</time>;
}

/**
 * A token's state in words for the list: available, reserved for a user, assigned to a user on a
 * site, or disabled.
 */
export function tokenStatus(t: HardwareToken): string {
  switch (t.state.kind) {
    case "assigned":
      return `assigned to ${t.state.username} on ${t.state.siteName}`;
    case "reserved":
      return `available, reserved for ${t.state.username}`;
    case "disabled":
      return "disabled";
    default:
      return "available";
  }
}

/**
 * tokenStatus with the user's name linked to their record (/configure/users/:id) when the user is on
 * the site the viewer works on (the users of another site are not visible from it).
 */
export function TokenStatus(props: { token: HardwareToken; activeSiteId: string | undefined }) {
  const st = props.token.state;
  if (st.kind !== "assigned" && st.kind !== "reserved") return <>{tokenStatus(props.token)}</>;
  const name =
    props.activeSiteId && st.siteId === props.activeSiteId ? (
      <UserLink id={st.userId} username={st.username} />
    ) : (
      st.username
    );
  return st.kind === "assigned" ? (
    <>
      assigned to {name} on {st.siteName}
    </>
  ) : (
    <>available, reserved for {name}</>
  );
}

/** The links between the MFA Hardware pages: tokens, register, import, find. */
export function SubNav() {
  return (
    <nav aria-label="MFA Hardware">
      <ul>
        <li>
          <a href={BASE}>Tokens</a>
        </li>
        <li>
          <a href={`${BASE}/register`}>Register token</a>
        </li>
        <li>
          <a href={`${BASE}/import`}>Import tokens</a>
        </li>
        <li>
          <a href={`${BASE}/find`}>Find token by code</a>
        </li>
      </ul>
    </nav>
  );
}

function ActionButton(props: { csrfToken: string; action: string; label: string; danger?: boolean }) {
  return (
    <form method="post" action={props.action} class="inline">
      <CsrfField token={props.csrfToken} />
      <button type="submit" class={props.danger ? "secondary outline" : "outline"}>
        {props.label}
      </button>
    </form>
  );
}

/** The table and its paging: the whole page's body, and the fragment active search swaps in. */
export function TokenTable(props: {
  csrfToken: string;
  page: TokenPage;
  q: string;
  /** The ?after= cursor this page was asked for: an empty page after it is past the end of the list. */
  after?: string;
  activeSiteId?: string;
  /** The site's time zone, in which "Assigned since" is shown (absent: UTC). */
  timeZone?: string;
}) {
  const { tokens, nextAfter } = props.page;
  return (
    <div id="token-list">
      {tokens.length === 0 && props.after ? (
        <p>
          No {props.q ? `token matching "${props.q}"` : "token"} comes after "{props.after}": that is past the end of
          the list. <a href={props.q ? `${BASE}?${new URLSearchParams({ q: props.q })}` : BASE}>Go to the first page</a>
        </p>
      ) : tokens.length === 0 ? (
        <p>{props.q ? `No token matches "${props.q}".` : "No tokens are registered yet."}</p>
      ) : (
        <div class="table-scroll" tabindex={0}>
          <table class="token-table">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Serial number</th>
                <th scope="col">Model</th>
                <th scope="col">Time interval</th>
                <th scope="col">Status</th>
                <th scope="col">Assigned since</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {tokens.map((t) => (
                <tr id={`token-${t.id}`}>
                  <td title={t.name.length > 24 ? t.name : undefined}>{t.name}</td>
                  <td>
                    <code>{t.serialNumber}</code>
                  </td>
                  <td title={t.model.length > 16 ? t.model : undefined}>{t.model}</td>
                  <td>{t.periodInSeconds} s</td>
                  <td class="token-status">
                    <TokenStatus token={t} activeSiteId={props.activeSiteId} />
                  </td>
                  <td>{t.state.kind === "assigned" ? <When at={t.state.since} timeZone={props.timeZone} /> : ""}</td>
                  <td class="token-actions">
                    {t.state.kind === "assigned" ? (
                      <ActionButton
                        csrfToken={props.csrfToken}
                        action={`${BASE}/${t.id}/unassign`}
                        label="Unassign"
                        danger
                      />
                    ) : (
                      <>
                        {t.disabled ? (
                          <ActionButton csrfToken={props.csrfToken} action={`${BASE}/${t.id}/enable`} label="Enable" />
                        ) : (
                          <ActionButton
                            csrfToken={props.csrfToken}
                            action={`${BASE}/${t.id}/disable`}
                            label="Disable"
                          />
                        )}
                        {t.reservedForUserId ? (
                          <ActionButton
                            csrfToken={props.csrfToken}
                            action={`${BASE}/${t.id}/release`}
                            label="Release…"
                          />
                        ) : null}
                        <ActionButton
                          csrfToken={props.csrfToken}
                          action={`${BASE}/${t.id}/delete`}
                          label="Delete…"
                          danger
                        />
                      </>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {nextAfter ? (
        <p>
          <a
            href={`${BASE}?${new URLSearchParams({ ...(props.q ? { q: props.q } : {}), after: nextAfter })}`}
            rel="next"
          >
            Next page
          </a>
        </p>
      ) : null}
    </div>
  );
}

/**
 * Configure > MFA Hardware: the token pool with counts, a search by serial number or user, one page
 * of tokens with their actions, and a notice after an action.
 */
export function TokenListPage(
  props: HardwarePageCommon & {
    page: TokenPage;
    q: string;
    /** The ?after= cursor the page was asked for. */
    after?: string;
    counts: { total: number; assigned: number; disabled: number };
    notice?: string;
  },
) {
  return (
    <Layout title="MFA Hardware" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>MFA Hardware</h1>
      <SubNav />
      {props.notice ? (
        <p role="status" class="notice">
          {props.notice}
        </p>
      ) : null}
      <p>
        {plural(props.counts.total, "token")}: {props.counts.assigned} assigned, {props.counts.disabled} disabled.
      </p>
      <form method="get" action={BASE} role="search">
        <input
          type="search"
          name="q"
          value={props.q}
          placeholder="Search serial number, name, model or user"
          aria-label="Search tokens"
          hx-get={BASE}
          hx-trigger="input changed delay:300ms, keyup[key=='Enter']"
          hx-target="#token-list"
          hx-swap="outerHTML"
          hx-push-url="true"
        />
      </form>
      <TokenTable
        csrfToken={props.csrfToken}
        page={props.page}
        q={props.q}
        {...(props.after ? { after: props.after } : {})}
        activeSiteId={props.activeSiteId}
        timeZone={props.timeZone}
      />
    </Layout>
  );
}

/**
 * Finds which registered hardware token shows a given code now, listing the matches and their clock
 * drift.
 */
export function FindPage(props: HardwarePageCommon & { code?: string; error?: string; matches?: CodeMatch[] }) {
  return (
    <Layout title="Find token by code" csrfToken={props.csrfToken} user={props.user} siteName={props.siteName}>
      <h1>Find token by code</h1>
      <SubNav />
      <p>Type the code a token shows now to learn which registered token it is.</p>
      <form method="get" action={`${BASE}/find`}>
        <InputField
          id="code"
          name="code"
          label="Code"
          autocomplete="off"
          value={props.code ?? ""}
          error={props.error}
          attrs={{ inputmode: "numeric", pattern: "[0-9 ]{6,9}" }}
        />
        <button type="submit">Find</button>
      </form>
      {props.matches ? (
        props.matches.length === 0 ? (
          <p id="find-result">No registered token shows this code now.</p>
        ) : (
          <ul id="find-result">
            {props.matches.map((m) => (
              <li>
                <code>{m.token.serialNumber}</code> ({m.token.name}) —{" "}
                <TokenStatus token={m.token} activeSiteId={props.activeSiteId} />
                {m.offsetSteps ? `; its clock is ${plural(m.offsetSteps, "step")} off` : ""}
              </li>
            ))}
          </ul>
        )
      ) : null}
    </Layout>
  );
}

/**
 * The answer to Unassign for a user whose MFA is activated: what unassigning ends (the token back
 * to the pool, the user's MFA reset, their web sessions and device tokens), a Confirm POST form
 * (confirm=mfa-reset) and Cancel back to the token.
 */
export function UnassignConfirmPage(
  props: HardwarePageCommon & { serialNumber: string; username: string; action: string; consequences: string[] },
) {
  return (
    <Layout
      title={`Unassign token ${props.serialNumber}?`}
      csrfToken={props.csrfToken}
      user={props.user}
      siteName={props.siteName}
    >
      <h1>Unassign token {props.serialNumber}?</h1>
      <ResetConfirm
        csrfToken={props.csrfToken}
        username={props.username}
        action={props.action}
        fields={[]}
        consequences={[
          ...props.consequences,
          `The multi-factor authentication (MFA) of ${props.username} is reset: they set it up again at their next sign-in.`,
        ]}
        cancelUrl={`${BASE}?${new URLSearchParams({ q: props.serialNumber })}`}
        inDialog={false}
        droppedPassword={false}
        lead={`Unassigning token ${props.serialNumber} resets the multi-factor authentication (MFA) of ${props.username}.`}
      />
    </Layout>
  );
}

/** The value of the `confirm` field without which Delete only asks (DeleteConfirmPage). */
export const DELETE_CONFIRM = "delete-token";

/**
 * The answer to Delete (every time, with or without JavaScript): which token is deleted, that its
 * secret key cannot be recovered, a Confirm POST form (confirm=delete-token) and Cancel back to the
 * token.
 */
export function DeleteConfirmPage(props: HardwarePageCommon & { token: HardwareToken; action: string }) {
  const { serialNumber, name } = props.token;
  return (
    <Layout
      title={`Delete token ${serialNumber}?`}
      csrfToken={props.csrfToken}
      user={props.user}
      siteName={props.siteName}
    >
      <h1>Delete token {serialNumber}?</h1>
      <ResetConfirm
        csrfToken={props.csrfToken}
        username=""
        action={props.action}
        fields={[]}
        confirm={DELETE_CONFIRM}
        consequences={[
          `Token ${serialNumber}${name && name !== serialNumber ? ` (${name})` : ""} is removed from the registry: nobody can activate it any more.`,
          "Its secret key is deleted for good: it cannot be recovered, and the token can only be used again if it is registered or imported anew with the key from its manufacturer.",
        ]}
        cancelUrl={`${BASE}?${new URLSearchParams({ q: serialNumber })}`}
        inDialog={false}
        droppedPassword={false}
        lead={`Deleting token ${serialNumber} deletes its secret key.`}
      />
    </Layout>
  );
}
