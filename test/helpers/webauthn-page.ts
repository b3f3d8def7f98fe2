import * as assert from "uvu/assert";

/**
 * The WebAuthn options a passkey page hands its script (the `data-options` attribute, HTML-escaped
 * JSON), as the browser's script reads them: the challenge and the user handle among them. Fails the
 * test when the page carries none.
 */
export function optionsIn(html: string): { challenge: string; user: { id: string } } {
  const m = html.match(/data-options="([^"]*)"/);
  assert.ok(m, "the page carries WebAuthn options");
  const json = m[1]!
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&amp;/g, "&");
  return JSON.parse(json) as { challenge: string; user: { id: string } };
}
