// fast-check arbitraries for HTTP requests against any route of the router: hostile text (NUL and other
// control characters, lone surrogates, 1 MB strings), wrong types, missing and extra fields, malformed
// multipart and JSON, deep JSON, crafted cursors, sort and filter values; and, mixed in, the valid
// values a form holds, so requests also get past validation into the stores.
import fc from "fast-check";

export type Principal = "admin" | "anonymous" | "pending" | "code";

/** A path parameter of a Hono route, with its optional regex (which has braces of its own: `{[0-9a-f]{8}-…}`). */
export const PARAM = /:([A-Za-z]+)(\{(?:[^{}]|\{[^{}]*\})*\})?/g;

/** One route of the router (app.routes), GET or POST. */
export interface Endpoint {
  method: "GET" | "POST" | "PATCH" | "DELETE";
  /** The route pattern as Hono holds it, e.g. /apps/:appId/:recordId{[0-9a-f]{8}-…}. */
  pattern: string;
}

/** A form as a page renders it: where it posts and the values it holds. */
export interface ScrapedForm {
  action: string;
  fields: [string, string][];
}

/** What the generators draw valid values from (fixtures made by the suite). */
export interface FuzzWorld {
  /** Path parameter name -> values that name something real (ids, app ids, tokens). */
  params: Record<string, string[]>;
  /** Values a field might legitimately hold: usernames, passwords, serials, roles, dates, codes. */
  values: string[];
  /** Every form the suite found on the pages, for POST bodies that start out valid. */
  forms: ScrapedForm[];
  /** Bearer tokens of the device API that are live at the start. */
  bearer: string[];
}

export type BodyPlan =
  | { kind: "none" }
  | { kind: "urlencoded"; fields: [string, string][] }
  | { kind: "urlencoded-raw"; text: string }
  | { kind: "multipart"; fields: [string, string][]; files: [string, string, string][]; cutAt: number | null }
  | { kind: "raw"; contentType: string | null; text: string }
  | { kind: "json"; value: unknown }
  | { kind: "json-raw"; text: string };

/** The CSRF forgeries the fuzzer mixes in (see RequestPlan.csrf). */
export const CSRF_FORGERIES = ["planted", "foreign-origin", "no-origin"] as const;
export type CsrfForgery = (typeof CSRF_FORGERIES)[number];

/** An attacker's own CSRF cookie value, planted from a sibling site. */
export const PLANTED_CSRF = "p".repeat(43);

export interface RequestPlan {
  principal: Principal;
  endpoint: Endpoint;
  /** Path with parameters filled in and percent-encoded (possibly badly, on purpose). */
  path: string;
  query: [string, string][];
  headers: Record<string, string>;
  body: BodyPlan;
  /**
   * How the CSRF token travels: a form field, the header htmx uses, or not at all; or one of the
   * probe's forgeries (issue 20, fault 5), each of which must be refused with 403 on every unsafe
   * route: `planted` (a cookie of the attacker's with its own value as the field, from a same-site
   * origin: the old double submit), `foreign-origin` (the right token, Origin of another site),
   * `no-origin` (the right token, neither Origin nor Referer).
   */
  csrf: "field" | "header" | "none" | CsrfForgery;
}

const SPECIAL = [
  "\u0000",
  "a\u0000b",
  "\ud800",
  "x\udfff",
  "\udc00\ud800",
  "\u0001\u0002\u001f\u007f\u0085",
  "\r\n",
  "\t",
  "%00",
  "%ZZ",
  "'; DROP TABLE users; --",
  "<script>alert(1)</script>",
  '"}]}',
  "1e400",
  "-0",
  "NaN",
  "99999999999999999999",
  "-1",
  "0",
  "true",
  "on",
  "2026-02-30",
  "2026-01-02T10:00",
  "../../etc/passwd",
  "\uFFFD",
  "\u{1F600}",
  "\u202e",
  " ",
  "",
];

/** Percent-encodes the UTF-8 bytes of a string (a lone surrogate becomes U+FFFD, as a browser sends it). */
export function pct(s: string): string {
  return encodeURIComponent(Buffer.from(s, "utf8").toString("utf8"));
}

const base64url = (s: string) => Buffer.from(s).toString("base64url");

export function arbitraries(world: FuzzWorld) {
  const special = fc.constantFrom(...SPECIAL);
  const valid = fc.constantFrom(...world.values);
  const big = fc.constantFrom("x".repeat(1 << 20), "y".repeat(300_000), "z".repeat(10_001));
  const cursor = fc.oneof(
    fc
      .tuple(fc.oneof(fc.jsonValue({ maxDepth: 2 }), special, valid), fc.oneof(fc.uuid(), valid, special))
      .map(([key, id]) => base64url(JSON.stringify([key, id]))),
    fc.string({ maxLength: 40 }).map(base64url),
    fc.string({ maxLength: 20 }),
  );
  const text: fc.Arbitrary<string> = fc.oneof(
    { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary", maxLength: 24 }) },
    { weight: 2, arbitrary: fc.string({ unit: "binary-ascii", maxLength: 24 }) },
    { weight: 3, arbitrary: special },
    { weight: 5, arbitrary: valid },
    { weight: 1, arbitrary: fc.tuple(valid, special).map(([a, b]) => a + b) },
    { weight: 1, arbitrary: big },
    { weight: 1, arbitrary: cursor },
  );

  const formNames = [...new Set(world.forms.flatMap((f) => f.fields.map(([n]) => n)))];
  const reserved = ["_version", "_action", "_field", "_dialog", "_list", "confirm", "_csrf", "skipBad", "expectedBad"];
  const name = fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...formNames, ...reserved) },
    { weight: 1, arbitrary: fc.constantFrom("checklist.0.item", "checklist.0._row", "hazards", "site.city", "a[]") },
    { weight: 1, arbitrary: fc.string({ maxLength: 12 }) },
    { weight: 1, arbitrary: special },
  );
  const action = fc.constantFrom("save", "add:checklist", "remove:checklist.0", "refresh", "add:nope", "remove:x.99");

  /** Fields that start from a real form and are then changed, dropped, repeated or extended. */
  const mutatedForm = (forms: ScrapedForm[]) =>
    fc
      .tuple(
        fc.constantFrom(...forms),
        fc.array(fc.tuple(fc.nat(), fc.oneof(text, action)), { maxLength: 3 }),
        fc.array(fc.nat(), { maxLength: 2 }),
        fc.array(fc.tuple(name, text), { maxLength: 3 }),
      )
      .map(([form, changes, drops, extra]) => {
        const fields = form.fields.map(([n, v]) => [n, v] as [string, string]);
        for (const [i, v] of changes) if (fields.length) fields[i % fields.length]![1] = v;
        for (const i of drops) if (fields.length) fields.splice(i % fields.length, 1);
        return [...fields, ...extra];
      });
  const randomForm = fc.array(fc.tuple(name, text), { maxLength: 10 });

  const file = fc.tuple(
    fc.constantFrom("file", "upload", "definition"),
    fc.oneof(
      fc.constantFrom("tokens.csv", "vendor.pskc", "a\u0000b.csv", "..\\..\\x.csv", ""),
      fc.string({ maxLength: 12 }),
    ),
    fc.oneof(
      fc.constantFrom(
        "serial,seed,type,digits,time step\nFZ-9,3132333435363738393031323334353637383930,totp,6,30\n",
        "upn,serial number,secret key,time interval,manufacturer,model\nx,FZ-8,JBSWY3DPEHPK3PXP,30,acme,k1\n",
        ",,,,,\n;;;;;\n",
        "FZ-7, 3132333435363738393031323334353637383930, totp, 6\n",
        '<?xml version="1.0"?><KeyContainer Version="1.0" xmlns="urn:ietf:params:xml:ns:keyprov:pskc"/>',
        "\u0000\u0000\u0000",
      ),
      text,
    ),
  );

  const formBody = (forms: ScrapedForm[]): fc.Arbitrary<BodyPlan> =>
    fc.oneof(
      {
        weight: 5,
        arbitrary: (forms.length ? mutatedForm(forms) : randomForm).map((fields) => ({
          kind: "urlencoded" as const,
          fields,
        })),
      },
      { weight: 2, arbitrary: randomForm.map((fields) => ({ kind: "urlencoded" as const, fields })) },
      {
        weight: 1,
        arbitrary: fc
          .array(
            fc.oneof(
              fc.constantFrom("%00", "%ED%A0%80", "%FF%FE", "%", "%Z", "&&", "==", "a=b"),
              fc.string({ maxLength: 8 }),
            ),
            { maxLength: 8 },
          )
          .map((parts) => ({ kind: "urlencoded-raw" as const, text: parts.join("") })),
      },
      {
        weight: 2,
        arbitrary: fc
          .tuple(
            forms.length ? mutatedForm(forms) : randomForm,
            fc.array(file, { maxLength: 2 }),
            fc.option(fc.double({ min: 0, max: 1, noNaN: true })),
          )
          .map(([fields, files, cutAt]) => ({ kind: "multipart" as const, fields, files, cutAt })),
      },
      {
        weight: 1,
        arbitrary: fc
          .tuple(
            fc.constantFrom(
              "multipart/form-data",
              "multipart/form-data; boundary=zz",
              "multipart/form-data; boundary=",
              "text/plain",
              "application/json",
              "application/x-www-form-urlencoded; charset=latin1",
              null,
            ),
            text,
          )
          .map(([contentType, t]) => ({ kind: "raw" as const, contentType, text: t })),
      },
      { weight: 1, arbitrary: fc.constant({ kind: "none" as const }) },
    );

  const jsonish: fc.Arbitrary<unknown> = fc.oneof(
    { weight: 4, arbitrary: text },
    { weight: 3, arbitrary: valid },
    { weight: 1, arbitrary: fc.oneof(fc.integer(), fc.double(), fc.boolean(), fc.constant(null)) },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 3 }) },
  );
  const deviceKeys = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        "username",
        "password",
        "challenge",
        "code",
        "recoveryCode",
        "passkey",
        "method",
        "serialNumber",
        "data",
        "version",
      ),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), special) },
  );
  const deep = fc.oneof(
    fc.integer({ min: 1, max: 5000 }).map((n) => ({ kind: "json-raw" as const, text: "[".repeat(n) + "]".repeat(n) })),
    // A record body nesting a value up to 100,000 deep (~200 KB, under the record body limit): a 400
    // at the boundary, in linear time, whoever sends it (it once took minutes and held the server).
    fc.integer({ min: 1, max: 100_000 }).map((n) => ({
      kind: "json-raw" as const,
      text: `{"version":1,"data":{"equipment":"x","z":${"[".repeat(n)}${"]".repeat(n)}}}`,
    })),
  );
  // A record body of the device API: {data, version} with the fields of the inspections app, values valid or not.
  const recordKeys = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom("equipment", "serialNumber", "inspectedOn", "result", "location", "hoursInUse"),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 10 }), special) },
  );
  const recordBody = fc
    .record(
      {
        data: fc.dictionary(recordKeys, fc.oneof(jsonish, fc.constant(null)), { maxKeys: 6 }),
        version: fc.oneof(fc.integer({ min: 0, max: 4 }), jsonish),
      },
      { requiredKeys: ["data"] },
    )
    .map((value) => ({ kind: "json" as const, value }));
  const jsonBody: fc.Arbitrary<BodyPlan> = fc.oneof(
    { weight: 3, arbitrary: recordBody },
    {
      weight: 6,
      arbitrary: fc.dictionary(deviceKeys, jsonish, { maxKeys: 7 }).map((value) => ({ kind: "json" as const, value })),
    },
    { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 4 }).map((value) => ({ kind: "json" as const, value })) },
    { weight: 1, arbitrary: deep },
    {
      weight: 1,
      arbitrary: fc
        .tuple(fc.dictionary(deviceKeys, jsonish, { maxKeys: 4 }), fc.double({ min: 0, max: 1, noNaN: true }))
        .map(([v, cut]) => {
          const t = JSON.stringify(v);
          return { kind: "json-raw" as const, text: t.slice(0, Math.floor(t.length * cut)) };
        }),
    },
    {
      weight: 1,
      arbitrary: fc
        .tuple(
          fc.constantFrom("text/plain", "application/json; charset=latin1", "application/x-www-form-urlencoded", null),
          text,
        )
        .map(([contentType, t]) => ({ kind: "raw" as const, contentType, text: t })),
    },
  );

  const paramValue = (param: string) =>
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...(world.params[param] ?? ["x"])).map(pct) },
      { weight: 1, arbitrary: fc.uuid() },
      { weight: 1, arbitrary: text.map(pct) },
      { weight: 1, arbitrary: fc.constantFrom("%00", "%ZZ", "%ED%A0%80", "..%2F..%2Fetc", "%2F") },
    );

  const queryName = fc.oneof(
    {
      weight: 6,
      arbitrary: fc.constantFrom(
        "q",
        "sort",
        "after",
        "before",
        "version",
        "saved",
        "code",
        "user",
        "action",
        "done",
        "mfa",
        "ids",
        "preview",
        "whereField",
        "whereValue",
        "scope",
        "enforcementDelayDays",
        // the rollout by date (issue 25)
        "deadline",
        // the user dialog's live MFA reset warning reads the slider's value from the query
        "mfaEnabled",
        // the device API's record lists and sync
        "changedSince",
        "limit",
        // record lists: the last page, the page size, the state a record form carries back, bulk actions
        "page",
        "size",
        "list",
        "back",
        "rollout",
        "tick",
      ),
    },
    { weight: 1, arbitrary: fc.oneof(fc.string({ maxLength: 8 }), special) },
  );
  const queryValue = fc.oneof(
    { weight: 3, arbitrary: text },
    { weight: 2, arbitrary: cursor },
    {
      weight: 2,
      arbitrary: fc.constantFrom(
        "username",
        "-username",
        "equipment",
        "-inspectedOn",
        // sync cursors and page sizes of the device API
        "0",
        "2.1796500000",
        "99.1796500000",
        "200",
        "role",
        "serialNumber",
        "mfaStatus",
        "password",
        "-",
        "--x",
        // deadline dates (a real one, a day that does not exist, a past one) and time zones (issue 25)
        "2026-12-13",
        "2026-02-30",
        "1999-01-01",
        "Pacific/Honolulu",
        "Asia/Tokyo",
        "Mars/Olympus_Mons",
        "+02:00",
        // ?page=, ?size=, ?rollout=, ?tick= and a list state (?list=, back)
        "last",
        "first",
        "25",
        "matching",
        "q=a&sort=-username&page=last&size=50",
        "q=x&next=https://evil.example/",
      ),
    },
  );
  const query = fc.array(fc.tuple(queryName, queryValue), { maxLength: 4 });

  const headers = fc.record(
    {
      "hx-request": fc.constant("true"),
      "hx-target": fc.constantFrom("#record-list", "#record-dialog-body", "#token-list", "#x"),
      authorization: fc.oneof(
        fc.constantFrom(...world.bearer.map((t) => `Bearer ${t}`)),
        fc.string({ maxLength: 50 }).map((s) => `Bearer ${s}`),
        fc.constantFrom("Bearer", "Basic YTpi", `Bearer ${"A".repeat(43)}`),
      ),
      "idempotency-key": fc.oneof(fc.constantFrom("retry-1", "retry-2"), fc.string({ maxLength: 20 })),
    },
    { requiredKeys: [] },
  );

  /** A request to one endpoint as one principal. */
  const request = (endpoint: Endpoint): fc.Arbitrary<RequestPlan> => {
    const params = [...endpoint.pattern.matchAll(PARAM)].map((m) => m[1]!);
    const pathArb = fc.tuple(...params.map(paramValue)).map((values) => {
      let i = 0;
      return endpoint.pattern.replace(PARAM, () => values[i++]!);
    });
    const api = endpoint.pattern.startsWith("/api/");
    const forms = world.forms.filter((f) => routeMatches(endpoint.pattern, f.action));
    const body: fc.Arbitrary<BodyPlan> =
      endpoint.method === "GET" ? fc.constant({ kind: "none" }) : api ? jsonBody : formBody(forms);
    return fc.record({
      principal: fc.constantFrom<Principal>(
        "admin",
        "admin",
        "admin",
        "admin",
        "anonymous",
        "anonymous",
        "pending",
        "code",
      ),
      endpoint: fc.constant(endpoint),
      path: params.length ? pathArb : fc.constant(endpoint.pattern),
      query,
      headers,
      body,
      csrf: fc.constantFrom<RequestPlan["csrf"]>(
        "field",
        "field",
        "field",
        "field",
        "header",
        "none",
        ...CSRF_FORGERIES,
      ),
    });
  };

  return { request };
}

/** True when a concrete path (a form's action) is one the route pattern serves. */
export function routeMatches(pattern: string, path: string): boolean {
  let re = "";
  let last = 0;
  for (const m of pattern.matchAll(PARAM)) {
    re += pattern.slice(last, m.index).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    re += m[2] ? `(?:${m[2].slice(1, -1)})` : "[^/]+";
    last = m.index + m[0].length;
  }
  re += pattern.slice(last).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^${re}$`).test(path);
}

/**
 * The request as Fetch wants it; `csrfToken` is the one the server signed for the principal's CSRF
 * cookie and user. A forgery (RequestPlan.csrf) changes what is sent accordingly.
 */
export function materialise(plan: RequestPlan, signedToken: string): { url: string; init: RequestInit } {
  const headers: Record<string, string> = { ...plan.headers };
  let csrfToken = signedToken;
  if (plan.csrf === "planted") {
    csrfToken = PLANTED_CSRF;
    headers["sec-fetch-site"] = "same-site";
    headers.cookie = `fg_csrf=${PLANTED_CSRF}`;
  }
  if (plan.csrf === "foreign-origin") headers.origin = "https://evil.example";
  if (plan.csrf === "no-origin") headers.origin = "";
  const sendsField = plan.csrf !== "header" && plan.csrf !== "none";
  if (plan.csrf === "header" && csrfToken) headers["x-csrf-token"] = csrfToken;
  const qs = plan.query.map(([k, v]) => `${pct(k)}=${pct(v)}`).join("&");
  const url = qs ? `${plan.path}?${qs}` : plan.path;
  const withCsrf = (fields: [string, string][]): [string, string][] =>
    sendsField && csrfToken ? [["_csrf", csrfToken], ...fields] : fields;
  const b = plan.body;
  let body: string | Blob | undefined;
  switch (b.kind) {
    case "none":
      break;
    case "urlencoded":
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = withCsrf(b.fields)
        .map(([k, v]) => `${pct(k)}=${pct(v)}`)
        .join("&");
      break;
    case "urlencoded-raw":
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = `${sendsField ? `_csrf=${csrfToken}&` : ""}${b.text}`;
      break;
    case "multipart": {
      const boundary = "fuzzBoundary7MA4YWxkTrZu0gW";
      headers["content-type"] = `multipart/form-data; boundary=${boundary}`;
      const parts = withCsrf(b.fields).map(
        ([k, v]) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`,
      );
      for (const [field, fileName, content] of b.files) {
        parts.push(
          `--${boundary}\r\nContent-Disposition: form-data; name="${field}"; filename="${fileName}"\r\n` +
            `Content-Type: text/csv\r\n\r\n${content}\r\n`,
        );
      }
      const bytes = Buffer.from(`${parts.join("")}--${boundary}--\r\n`, "utf8");
      body = new Blob([b.cutAt === null ? bytes : bytes.subarray(0, Math.floor(bytes.length * b.cutAt))]);
      break;
    }
    case "raw":
      if (b.contentType) headers["content-type"] = b.contentType;
      body = b.text;
      break;
    case "json":
      headers["content-type"] = "application/json";
      body = JSON.stringify(b.value) ?? "null";
      break;
    case "json-raw":
      headers["content-type"] = "application/json";
      body = b.text;
      break;
  }
  return { url, init: { method: plan.endpoint.method, headers, ...(body !== undefined ? { body } : {}) } };
}

/** A short, printable account of a request (for a failure report): long strings cut, controls escaped. */
export function describe(plan: RequestPlan): string {
  return JSON.stringify(plan, (_k, v) =>
    typeof v === "string" && v.length > 120 ? `${v.slice(0, 120)}…(${v.length})` : v,
  );
}
