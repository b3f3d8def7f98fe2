// Passkey forms (engine/web/mfa/passkey-pages.tsx): a form with data-passkey="register" or
// "authenticate" carries the server's WebAuthn options as JSON in data-options. The start button
// (hidden until this script runs: without JavaScript the page says a passkey needs it) asks the
// browser for the credential through @simplewebauthn/browser, puts the answer in the hidden
// field "response" and submits the form as a plain POST.
(function () {
  function start(form) {
    const button = form.querySelector("[data-passkey-start]");
    const error = form.querySelector("[data-passkey-error]");
    if (!button) return;
    if (!window.SimpleWebAuthnBrowser || !window.SimpleWebAuthnBrowser.browserSupportsWebAuthn()) {
      if (error) error.textContent = "This browser cannot use passkeys. Use another method.";
      return;
    }
    button.hidden = false;
    button.addEventListener("click", async () => {
      if (!form.reportValidity()) return;
      if (error) error.textContent = "";
      button.setAttribute("aria-busy", "true");
      try {
        const optionsJSON = JSON.parse(form.dataset.options);
        const lib = window.SimpleWebAuthnBrowser;
        const result =
          form.dataset.passkey === "register"
            ? await lib.startRegistration({ optionsJSON })
            : await lib.startAuthentication({ optionsJSON });
        form.querySelector('input[name="response"]').value = JSON.stringify(result);
        form.submit();
      } catch (e) {
        button.removeAttribute("aria-busy");
        if (error)
          error.textContent = "The passkey was not used (cancelled, timed out or not on this device). Try again.";
      }
    });
  }
  function init() {
    document.querySelectorAll("form[data-passkey]").forEach(start);
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
