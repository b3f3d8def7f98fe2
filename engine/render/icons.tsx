/**
 * Icons as inline SVG in the text's colour (public/ui.css `.icon`): an emoji would show as an empty
 * box where the emoji font is missing. Decorative: the text beside each icon says what it means.
 */

/** A padlock, for what the designer may not change (system fields). */
export function LockIcon() {
  return (
    <svg class="icon" viewBox="0 0 24 24" aria-hidden="true" focusable="false">
      <rect x="5" y="11" width="14" height="10" rx="2" />
      <path d="M8 11V7a4 4 0 0 1 8 0v4" />
    </svg>
  );
}
