// The parts of a selectable list that keep its ticks (engine/render/record-list.tsx): the hidden
// state inside the list's region, the "N selected" line and the pager whose buttons carry the ticks.

/**
 * What the form around a selectable list needs inside the region (so an htmx swap renews it): the
 * list's own parameters (search, sort, filter) for the page buttons, the ticks of other pages, and
 * how many are ticked so far.
 */
export function SelectState(props: {
  /** The name the rows' checkboxes post their ids under. */
  name: string;
  ticked: ReadonlySet<string>;
  onPage: ReadonlySet<string>;
  current: string;
}) {
  const params = [...new URLSearchParams(props.current.split("?")[1] ?? "").entries()].filter(
    ([name]) => name !== "size" && name !== "page",
  );
  const elsewhere = [...props.ticked].filter((id) => !props.onPage.has(id));
  return (
    <>
      {params.map(([name, value]) => (
        <input type="hidden" name={name} value={value} />
      ))}
      {elsewhere.map((id) => (
        <input type="hidden" name={props.name} value={id} />
      ))}
    </>
  );
}

/** "3 selected (1 on other pages)", just above the form's button. */
export function SelectedCount(props: { ticked: ReadonlySet<string>; onPage: ReadonlySet<string>; paged: boolean }) {
  const elsewhere = [...props.ticked].filter((id) => !props.onPage.has(id)).length;
  return (
    <p class="selected-count" data-selected={props.ticked.size}>
      {props.ticked.size ? `${props.ticked.size} selected` : "None selected yet"}
      {elsewhere ? ` (${elsewhere} on other pages)` : ""}.
      {props.paged ? " Ticks are kept when you turn the page with these buttons." : ""}
    </p>
  );
}

/** The pages of a selectable list: submit buttons of the form around it, which carry the ticks. */
export function SelectPager(props: { prev: string | null; next: string | null }) {
  return (
    <nav class="pager" aria-label="Pages">
      <ul>
        {props.prev ? (
          <li>
            <button type="submit" name="page" value="first" class="outline">
              First page
            </button>
          </li>
        ) : null}
        {props.prev ? (
          <li>
            <button type="submit" name="before" value={props.prev} class="outline">
              Previous
            </button>
          </li>
        ) : null}
        {props.next ? (
          <li>
            <button type="submit" name="after" value={props.next} class="outline">
              Next
            </button>
          </li>
        ) : null}
        {props.next ? (
          <li>
            <button type="submit" name="page" value="last" class="outline">
              Last page
            </button>
          </li>
        ) : null}
      </ul>
    </nav>
  );
}
