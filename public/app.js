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
