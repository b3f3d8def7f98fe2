// readForm (engine/web/http/form-body.ts), the one reader of a posted form, on a bare Hono app.
import { Hono } from "hono";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { ValidationError } from "../../engine/errors.js";
import { readForm, UnstorableTextError, type FormSpec } from "../../engine/web/http/form-body.js";

const t = suite("readForm: the one form reader");

const ADDRESS_FORM: FormSpec = {
  schema: {
    type: "object",
    properties: { address: { type: "string", maxLength: 254, pattern: "^[^\\s@]+@[^\\s@]+$" }, days: true },
    required: ["address"],
  },
  messages: { address: "Enter an e-mail address such as name@example.org." },
  labels: { days: "Days" },
};

/** Posts `body` to a route that reads it with `spec` and answers what readForm returned or threw. */
async function post(spec: FormSpec, body: BodyInit, type = "application/x-www-form-urlencoded") {
  const app = new Hono();
  app.post("/", async (c) => {
    try {
      const input = await readForm(c, spec);
      const files = Object.fromEntries(Object.entries(input.files).map(([k, f]) => [k, f.name]));
      return c.json({ ...input, files });
    } catch (err) {
      if (err instanceof UnstorableTextError) return c.json({ thrown: "unstorable", fields: err.fields });
      if (err instanceof ValidationError) return c.json({ thrown: "validation", fields: err.fields });
      throw err;
    }
  });
  const res = await app.request("/", { method: "POST", body, headers: type ? { "content-type": type } : {} });
  return { status: res.status, json: res.status === 200 ? await res.json() : null };
}

t("a valid post: every value, the last one per name, and the typed value", async () => {
  const { json } = await post(ADDRESS_FORM, "address=a%40b.org&days=1&days=7");
  assert.equal(json.all, { address: ["a@b.org"], days: ["1", "7"] });
  assert.equal(json.one, { address: "a@b.org", days: "7" });
  assert.equal(json.errors, {});
  assert.equal(json.value, { address: "a@b.org", days: "7" });
});

t(
  "urlencoded as browsers send it: + is a space, UTF-8 escapes, repeated names in order, no prototype pollution",
  async () => {
    const { json } = await post(
      { schema: { type: "object" } },
      "address=J%C3%BCrgen+M%C3%BCller%40b.org&days=3&days=1&days=2&__proto__=x&constructor=y&empty=",
    );
    // Compared as text: uvu's deep equality reads an own "constructor" property as the object's class.
    assert.is(
      JSON.stringify(json.all),
      JSON.stringify({ address: ["Jürgen Müller@b.org"], days: ["3", "1", "2"], constructor: ["y"], empty: [""] }),
    );
    assert.is(({} as Record<string, unknown>).x, undefined);
    assert.is(Object.prototype.hasOwnProperty.call(Object.prototype, "0"), false);
  },
);

t("the schema's refusal: the form's own message per field, reported or thrown", async () => {
  const reported = await post({ ...ADDRESS_FORM, onInvalid: "report" }, "address=nope");
  assert.equal(reported.json.errors, { address: "Enter an e-mail address such as name@example.org." });
  assert.is(reported.json.value, null);
  assert.equal((await post({ ...ADDRESS_FORM, onInvalid: "report" }, "days=1")).json.errors, {
    address: "Enter an e-mail address such as name@example.org.",
  });
  const thrown = await post(ADDRESS_FORM, "address=nope");
  assert.equal(thrown.json, {
    thrown: "validation",
    fields: { address: "Enter an e-mail address such as name@example.org." },
  });
});

t("text that cannot be stored is refused before the schema, per field with its label", async () => {
  const body = "address=a%40b.org&days=1%00";
  assert.equal((await post(ADDRESS_FORM, body)).json.thrown, "unstorable");
  const reported = await post({ ...ADDRESS_FORM, onInvalid: "report" }, body);
  assert.equal(reported.json.unstorable, ["days"]);
  assert.match(reported.json.errors.days, /^Days contains a character that cannot be stored/);
  assert.is(reported.json.one.days, "1\uFFFD");
});

t("files: left out, accepted or refused (400); a non-form body: empty, or 415 with formOnly", async () => {
  const form = () => {
    const f = new FormData();
    f.set("note", "hi");
    f.set("file", new File(["x"], "a.csv"));
    return f;
  };
  assert.equal((await post({}, form(), "")).json.files, {});
  assert.equal((await post({ files: "accept" }, form(), "")).json.files, { file: "a.csv" });
  assert.is((await post({ files: "refuse" }, form(), "")).status, 400);
  assert.equal((await post({}, '{"a":1}', "application/json")).json.one, {});
  assert.is((await post({ formOnly: true }, '{"a":1}', "application/json")).status, 415);
});

t("a body the client cut off (it went away mid-post) is a 400, urlencoded or multipart", async () => {
  for (const type of ["application/x-www-form-urlencoded", "multipart/form-data; boundary=x"]) {
    const app = new Hono();
    app.post("/", async (c) => c.json(await readForm(c, ADDRESS_FORM)));
    const body = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(new TextEncoder().encode("address=a%40b"));
        // What @hono/node-server's body stream does when the socket closes before the body's end.
        controller.error(new Error("aborted"));
      },
    });
    const init = { method: "POST", body, headers: { "content-type": type }, duplex: "half" };
    assert.is((await app.request(new Request("http://localhost/", init))).status, 400, type);
  }
});

t("a malformed multipart body is a 400", async () => {
  const res = await post({}, "--x\r\nbroken", "multipart/form-data; boundary=x");
  assert.is(res.status, 400);
});

t.run();
