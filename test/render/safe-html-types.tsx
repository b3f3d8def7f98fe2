// Type-level checks of SafeHtml, compiled by `tsc` in `npm run check` and never run: the line
// after each expect-error directive must not compile, or the check fails.
// test/render/safe-html.test.ts is the other half (nothing in engine/ goes around the type).
import { markupOf, ShellCache, trustedRaw } from "../../engine/render/shells.js";

declare const userInput: string;

// @ts-expect-error a plain string, a user's above all, is not SafeHtml
trustedRaw(userInput);

// @ts-expect-error nor is a literal that looks harmless
trustedRaw("<b>bold</b>");

// @ts-expect-error markupOf takes a rendered element, not a string (String() would not escape it)
markupOf(userInput);

// @ts-expect-error an html slot of a shell takes SafeHtml only
new ShellCache().render("k", [{ html: userInput }] as const, () => <p />);

new ShellCache().render("k", [{ text: userInput }, { html: markupOf(<b>{userInput}</b>) }] as const, ([text, html]) => (
  <p>
    {text}
    {trustedRaw(html)}
    {
      // @ts-expect-error a text slot's mark is a string: it goes to JSX, which escapes it
      trustedRaw(text)
    }
  </p>
));

// The supported path: JSX escapes the input, and the markup it makes may be inserted.
export const shown = trustedRaw(markupOf(<p>{userInput}</p>));
