// Status badges (docs/ui.md "Status badges"): one name and one colour per state. The words say the
// state; the colour (class `badge KIND`, public/ui.css) only repeats it.

/** One badge as the MFA status gives it: its kind (a CSS class) and its text. */
export interface BadgeView {
  kind: string;
  text: string;
  /** Shorter words for a table cell (the day without the time); the full text is the title. */
  short?: string;
}

/**
 * Badges side by side ("Pending — due …" then "Locked"), each a `<span class="badge KIND">`;
 * `compact` (a list's cell) shows each badge's short words where it has them, the full text on hover.
 */
export function Badges(p: { badges: readonly BadgeView[]; id?: string; compact?: boolean }) {
  return (
    <span class="badges" id={p.id}>
      {p.badges.map((b) => (
        <span class={b.kind === "off" ? "badge" : `badge ${b.kind}`} title={b.text}>
          {p.compact ? (b.short ?? b.text) : b.text}
        </span>
      ))}
    </span>
  );
}
