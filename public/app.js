// Marks the page as scripted, so CSS hides what only a browser without JavaScript needs (.js .when-hidden).
document.documentElement.classList.add("js");
// Sends the CSRF token with every htmx request, so buttons outside a form are protected too.
document.addEventListener("htmx:config:request", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  const ctx = event.detail && event.detail.ctx;
  if (meta && ctx && ctx.request && ctx.request.headers) {
    ctx.request.headers["X-CSRF-Token"] = meta.content;
  }
});
// A selectable list's header checkbox ticks or clears every row of the page (the list's own
// "Tick every row on this page" link does it without JavaScript).
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.dataset.selectPage !== "true") return;
  const table = box.closest("table");
  if (!table) return;
  for (const row of table.querySelectorAll("tbody .row-select input[type=checkbox]")) row.checked = box.checked;
});
// The "N selected" line follows the ticks as they change (the server words it on each load): the
// ticks of other pages ride as hidden inputs of the same name, this page's are its checkboxes.
document.addEventListener("change", (event) => {
  const box = event.target;
  if (!(box instanceof HTMLInputElement) || box.type !== "checkbox") return;
  const list = box.closest("#record-list");
  const line = list?.querySelector(".selected-count");
  // The header checkbox has no name: the rows' name is the one that counts.
  const name = box.name || list?.querySelector("tbody .row-select input[type=checkbox]")?.name;
  if (!list || !line || !name) return;
  const boxes = [...list.querySelectorAll(`tbody input[type=checkbox][name="${CSS.escape(name)}"]`)];
  const onPage = new Set(boxes.map((b) => b.value));
  const hidden = list.querySelectorAll(`input[type=hidden][name="${CSS.escape(name)}"]`);
  const elsewhere = new Set([...hidden].map((h) => h.value).filter((v) => !onPage.has(v))).size;
  const total = elsewhere + boxes.filter((b) => b.checked).length;
  const rest = line.textContent.replace(/^[^.]*\./, "");
  line.textContent = `${total ? `${total} selected` : "None selected yet"}${elsewhere ? ` (${elsewhere} on other pages)` : ""}.${rest}`;
});
