// Record forms and lists (engine/render/): opens the record dialog when htmx
// loads a form into it, closes it on Cancel/Close and after a save (the
// server's HX-Trigger: fg-saved, which also makes the list reload itself).
(function () {
  const dialog = () => document.getElementById("record-dialog");

  function close() {
    const d = dialog();
    if (d && d.open) d.close();
  }

  // Only a form loaded into the dialog's body opens it: swaps inside an open dialog (a re-rendered
  // form, an inline check answering after the dialog closed) must not open it again.
  document.addEventListener("htmx:after:swap", (event) => {
    const target = event.detail && event.detail.ctx && event.detail.ctx.target;
    const d = dialog();
    if (d && target && target.id === "record-dialog-body" && !d.open) {
      d.showModal();
      // The dialog focuses its close button first; the form's first field is where work starts.
      const first = target.querySelector(
        "input:not([type=hidden]):not([tabindex='-1']):not([disabled]), select:not([disabled]), textarea:not([disabled])",
      );
      if (first) first.focus();
    }
  });

  document.addEventListener("click", (event) => {
    const trigger = event.target instanceof Element ? event.target.closest("[data-close-dialog]") : null;
    const d = dialog();
    if (trigger && d && d.contains(trigger)) {
      event.preventDefault();
      close();
    }
  });

  document.body.addEventListener("fg-saved", close);

  // Inline validation: the fields' container posts the whole form on change;
  // this names the input that changed, before htmx collects the form.
  document.addEventListener(
    "change",
    (event) => {
      const input = event.target;
      const form = input instanceof Element ? input.closest("form.record-form") : null;
      if (form && form.elements._field && input.name) form.elements._field.value = input.name;
    },
    true,
  );

  document.addEventListener(
    "close",
    (event) => {
      // A closed dialog forgets its form, so reopening never shows stale input.
      if (event.target === dialog()) document.getElementById("record-dialog-body").replaceChildren();
    },
    true,
  );
})();
