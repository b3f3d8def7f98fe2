// Every request input goes through one shared reader, which refuses what PostgreSQL cannot store and
// answers 400 for what cannot be parsed: a route that reads the query string or the body by itself
// would bypass both. This holds every engine file to that, so a new route cannot slip past.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = join(dir, d.name);
    if (d.isDirectory()) return sources(p);
    return /\.tsx?$/.test(d.name) ? [p] : [];
  });
}

/** Which file may call which raw reader of Hono's request. */
const READERS: { pattern: RegExp; allowed: string[] }[] = [
  { pattern: /\.req\.(query|queries)\(/, allowed: ["engine/web/http/query.ts"] },
  { pattern: /\.req\.(parseBody|formData)\(/, allowed: ["engine/web/http/form-body.ts"] },
  // form-body.ts: a urlencoded form is read as text and split by URLSearchParams.
  {
    pattern: /\.req\.(json|text|arrayBuffer|blob)\(/,
    allowed: ["engine/web/device/body.ts", "engine/web/http/form-body.ts"],
  },
  // csrf.ts: its own origin, for the Origin check; guards.ts: the page asked for, to return to after
  // signing in, which only ever goes through safeNextPath (a percent-encoded, same-origin path or nothing);
  // token-import-routes.tsx: the origin only, for the app's own GET of the import page (a fixed path)
  // that answers an upload over the limit.
  {
    pattern: /\.req\.(url|raw\.url)\b|new URL\(c\./,
    allowed: [
      "engine/web/http/csrf.ts",
      "engine/web/http/guards.ts",
      "engine/web/configure/hardware/token-import-routes.tsx",
    ],
  },
];

test("the query string and the body are read only by the shared readers", () => {
  const offences: string[] = [];
  for (const file of sources(join(root, "engine"))) {
    const name = relative(root, file);
    const text = readFileSync(file, "utf8");
    for (const { pattern, allowed } of READERS) {
      if (pattern.test(text) && !allowed.includes(name)) offences.push(`${name}: ${pattern}`);
    }
  }
  assert.equal(offences, []);
});

test("the readers themselves are where this test says", () => {
  for (const { pattern, allowed } of READERS) {
    for (const name of allowed) assert.match(readFileSync(join(root, name), "utf8"), pattern, name);
  }
});

test.run();
