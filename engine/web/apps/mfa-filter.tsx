import { MFA_STATE_LABELS, MFA_STATES, type MfaState } from "../../mfa/mfa-states.js";

/**
 * The users list's MFA filter: plain links (`?mfa=…`), the current one marked.
 * The search text stays; paging starts again.
 */
export function MfaFilterBar(p: { href: string; current: MfaState | undefined; q: string }) {
  const url = (mfa: MfaState | undefined) => {
    const params = new URLSearchParams();
    if (mfa) params.set("mfa", mfa);
    if (p.q) params.set("q", p.q);
    const qs = params.toString();
    return qs ? `${p.href}?${qs}` : p.href;
  };
  const item = (mfa: MfaState | undefined, label: string) => (
    <li>
      <a href={url(mfa)} aria-current={p.current === mfa ? "page" : undefined}>
        {label}
      </a>
    </li>
  );
  return (
    <nav aria-label="Filter by MFA state" class="list-filters">
      <ul>
        {item(undefined, "All")}
        {MFA_STATES.map((s) => item(s, MFA_STATE_LABELS[s]))}
      </ul>
    </nav>
  );
}
