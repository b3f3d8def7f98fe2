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
    if (next && next.dataset.name) body.set("before", next.dataset.name.split(".").pop());
    else if (event.to.dataset.section) body.set("section", event.to.dataset.section);
    else body.set("position", "last");
    const url = `/configure/apps/${outline.dataset.app}/fields/${item.dataset.name}/move`;
    // The redirect is not followed here: its page would take the one-time message meant for the reload.
    fetch(url, { method: "POST", body, credentials: "same-origin", redirect: "manual" }).then(async (res) => {
      if (res.type === "opaqueredirect") window.location.assign(`/configure/apps/${outline.dataset.app}`);
      else {
        // A refusal (422) is a whole page with the reason: show it.
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
    outline.querySelectorAll("ol.designer-fields").forEach((list) => {
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

  function init() {
    initSortable();
    initIdSuggestion();
    initPatternPreset();
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
