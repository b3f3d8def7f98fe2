/* eslint-disable @typescript-eslint/no-base-to-string -- String(<Component />) renders a synchronous Hono JSX element to its markup */
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { compileApp } from "../../engine/apps/compiled-app.js";
import { RecordForm, type RecordFormProps } from "../../engine/render/record-form.js";
import { RecordPage, type PageFrame } from "../../engine/render/record-pages.js";
import { markupOf, ShellCache, trustedRaw, type SafeHtml } from "../../engine/render/shells.js";
import type { AppDefinition } from "../../engine/schema/types.js";

const t = suite("memoised markup");

t("a shell fills text escaped like JSX and html as it is, in every place a slot appears", () => {
  const cache = new ShellCache();
  const Comp = (p: { title: string; body: SafeHtml }) => (
    <div title={p.title}>
      <h1>{p.title}</h1>
      {trustedRaw(p.body)}
    </div>
  );
  const render = (title: string, body: SafeHtml) =>
    cache.render("k", [{ text: title }, { html: body }] as const, ([a, b]) => <Comp title={a} body={b} />);
  const direct = (title: string, body: SafeHtml) => String(<Comp title={title} body={body} />);
  for (const [title, body] of [
    ["plain", markupOf(<p>one</p>)],
    [`quotes " and ' & <tags>`, markupOf(<b>two</b>)],
    ["", markupOf(<></>)],
  ] as const) {
    assert.is(render(title, body), direct(title, body));
  }
});

t(
  "a component that transforms a value is not memoised, and values carrying the marker byte are rendered directly",
  () => {
    const cache = new ShellCache();
    const Upper = (p: { x: string }) => <p>{p.x.toUpperCase()}</p>;
    const render = (x: string) => cache.render("u", [{ text: x }] as const, ([v]) => <Upper x={v} />);
    assert.is(render("abc"), "<p>ABC</p>");
    assert.is(render("def"), "<p>DEF</p>", "the self-check refused the shell");
    assert.is(render("a\u0001b"), "<p>A\u0001B</p>");
  },
);

const definition = JSON.parse(readFileSync("forms/equipment-inspections.app.json", "utf8")) as AppDefinition;

t("RecordForm from its memoised frame is the markup of a fresh render, for every combination of props", () => {
  const shared = compileApp(definition, 0);
  const values = [
    {},
    { equipment: `Saw "B" & <co>`, result: "fail", failureReason: "x", checklist: [{ item: "a", ok: true }] },
    { equipment: "Lathe", hazards: ["noise"], site: { contact: "Ann" } },
  ];
  const variants: Partial<RecordFormProps>[] = [
    { mode: "create", action: "/apps/x/new", checkUrl: "/apps/x/new/check", cancelUrl: "/apps/x" },
    { mode: "edit", action: "/apps/x/1", version: 3, checkUrl: "/apps/x/1/check", deleteUrl: "/apps/x/1/delete" },
    {
      mode: "edit",
      action: "/apps/x/1",
      version: 4,
      inDialog: true,
      errors: { "": "Stale & <old>", equipment: "Bad." },
    },
    { mode: "edit", action: "/apps/x/1", version: 5, notice: <p class="notice">Changed by "bob"</p> },
  ];
  for (const variant of variants) {
    for (const v of values) {
      for (const token of ["tok-1", "tok-2"]) {
        const props = { values: v, errors: {}, csrfToken: token, ...variant } as RecordFormProps;
        // A fresh compile has fresh sections, so its first render is direct JSX.
        const fresh = compileApp(definition, 0);
        const expected = String(<RecordForm {...props} sections={fresh.sections} />);
        assert.is(String(<RecordForm {...props} sections={shared.sections} />), expected);
      }
    }
  }
});

t("RecordPage from its memoised frame is the markup of a fresh render", () => {
  const frame = (role: string, siteName?: string): PageFrame => {
    const f: PageFrame = { csrfToken: "csrf-token", user: { username: "al", displayName: "Al & Co", role } };
    if (siteName) f.siteName = siteName;
    return f;
  };
  const page = (f: PageFrame, title: string) =>
    String(
      <RecordPage frame={f} title={title} backUrl="/apps/x?q=a&b" backLabel="Back <list>">
        <p>body</p>
      </RecordPage>,
    );
  for (const f of [frame("admin", "Public"), frame("user"), frame("designer", "North & South")]) {
    const first = page(f, "First");
    assert.is(page(f, "First"), first, "the second render comes from the shell");
    const other = page(f, `Title "quoted" & <b>`);
    assert.match(other, /<title>Title &quot;quoted&quot; &amp; &lt;b&gt; · Formgate<\/title>/);
    assert.match(other, /<h1>Title &quot;quoted&quot; &amp; &lt;b&gt;<\/h1>/);
    assert.match(other, /<a href="\/apps\/x\?q=a&amp;b">Back &lt;list&gt;<\/a>/);
    assert.is(other.split("csrf-token").length - 1, first.split("csrf-token").length - 1);
  }
});

t.run();
