// The app designer (engine/web/configure/apps-designer-*): drag and drop with SortableJS and
// an id suggested from a new app's title. Everything here has a plain-form
// fallback: Up/Down buttons move fields, and a blank id is derived on the server.
(function () {
  function csrf() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // A field dropped somewhere: POST …/fields/:name/move with the field it now stands before, or the
  // section it was dropped at the end of, then show the draft as the server saved it.
  function moved(outline, event) {
    const item = event.item;
    const next = item.nextElementSibling;
    const body = new URLSearchParams();
    body.set("_csrf", csrf());
    // Which draft the page showed: a move on a page another designer's change overtook is refused (409).
    const stamp = document.querySelector('input[name="draftStamp"]');
    if (stamp) body.set("draftStamp", stamp.value);
    if (next && next.dataset.name) body.set("before", next.dataset.name.split(".").pop());
    else if (event.to.dataset.section) body.set("section", event.to.dataset.section);
    else body.set("position", "last");
    const url = `/configure/apps/${outline.dataset.app}/fields/${item.dataset.name}/move`;
    // The redirect is not followed here: its page would take the one-time message meant for the reload.
    fetch(url, { method: "POST", body, credentials: "same-origin", redirect: "manual" }).then(async (res) => {
      if (res.type === "opaqueredirect") window.location.assign(`/configure/apps/${outline.dataset.app}`);
      else {
        // A refusal (422, or 409 for a stale page) is a whole page with the reason: show it.
        const html = await res.text();
        document.open();
        document.write(html);
        document.close();
      }
    });
  }

  function initSortable() {
    const outline = document.getElementById("field-outline");
    if (!outline || typeof Sortable === "undefined") return;
    // Dragging works from here on: show the handles and the hint about them (public/forms.css).
    document.documentElement.classList.add("can-drag");
    outline.querySelectorAll("ol.designer-fields:not([data-sortable])").forEach((list) => {
      list.dataset.sortable = "on";
      // Top-level lists share one group (fields move between sections); nested lists stay within their group.
      const group = list.dataset.parent ? `nested-${list.dataset.parent}` : "top";
      Sortable.create(list, {
        group,
        handle: ".drag-handle",
        draggable: "li",
        animation: 150,
        // Mouse and touch events rather than native drag and drop: the same on every browser.
        forceFallback: true,
        onEnd: (event) => {
          if (event.from === event.to && event.oldIndex === event.newIndex) return;
          moved(outline, event);
        },
      });
    });
  }

  function idFromTitle(title) {
    let slug = title
      .normalize("NFKD")
      .replace(/[\u0300-\u036f]/g, "")
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, "-")
      .replace(/^-+|-+$/g, "")
      .slice(0, 63)
      .replace(/-+$/, "");
    if (slug && !/^[a-z]/.test(slug)) slug = `app-${slug}`.slice(0, 63);
    return slug;
  }

  function initIdSuggestion() {
    const id = document.querySelector("input[data-id-from]");
    const title = id && id.form ? id.form.elements.namedItem(id.dataset.idFrom) : null;
    if (!id || !title) return;
    let touched = id.value !== "" && id.value !== idFromTitle(title.value);
    id.addEventListener("input", () => (touched = id.value !== ""));
    title.addEventListener("input", () => {
      if (!touched) id.value = idFromTitle(title.value);
    });
  }

  function initPatternPreset() {
    const preset = document.querySelector('select[name="patternPreset"]');
    const pattern = document.querySelector('input[name="pattern"]');
    if (!preset || !pattern) return;
    preset.addEventListener("change", () => {
      if (preset.value) pattern.value = preset.value;
    });
  }

  // An htmx save of the properties panel swaps the work area (#designer-work): wire up the new
  // outline and panel, and put focus where the user was: on the first control the server refused,
  // else back on the panel's Save button (the saved message is announced by its role=status).
  function afterSwap(event) {
    const target = event.detail && event.detail.ctx && event.detail.ctx.target;
    const work = document.getElementById("designer-work");
    if (!work || (target && target.id !== "designer-work" && !work.contains(target))) return;
    initSortable();
    initPatternPreset();
    const invalid = work.querySelector('#field-form [aria-invalid="true"]');
    const submit = document.getElementById("field-form-submit");
    const focus = invalid || submit;
    if (focus && document.activeElement !== focus) focus.focus();
  }

  // The List tab's sort menu accepts only columns: a field's sort options are enabled while its
  // column box is ticked (the server renders them the same way for the saved columns).
  function initSortMenu() {
    const sort = document.querySelector('#list-form select[name="sort"]');
    if (!sort) return;
    const sync = () => {
      const ticked = new Set(
        Array.from(document.querySelectorAll('#list-form input[name="columns"]:checked')).map((b) => b.value),
      );
      for (const o of sort.options) if (o.value) o.disabled = !ticked.has(o.value.replace(/^-/, ""));
    };
    document.querySelectorAll('#list-form input[name="columns"]').forEach((b) => b.addEventListener("change", sync));
  }

  function init() {
    initSortMenu();
    initSortable();
    initIdSuggestion();
    initPatternPreset();
    document.addEventListener("htmx:after:settle", afterSwap);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
