import * as assert from "uvu/assert";
import { TestClient, type TestEnv } from "./app.js";

/**
 * "Visitor log" built through the designer's plain-POST contract, step by
 * step as docs/designer-guide.md and the browser test do it: nine field
 * types (Text, Email, Date, Date and time, Choice, Whole number, Yes/No,
 * Long text, Repeating rows), a visible-when rule, two moved fields (Up, and a drag's `before`), two
 * sections, list columns; then Publish.
 */
export const APP = "/configure/apps/visitor-log";

/** The fields added after the app is created, in order: type and the posted properties. */
export const VISITOR_FIELDS: Record<string, string>[] = [
  { type: "text", title: "Company", maxLength: "120", placeholder: "e.g. Acme Ltd" },
  { type: "email", title: "Email" },
  { type: "date", title: "Visit date", required: "on" },
  { type: "datetime", title: "Arrived at" },
  {
    type: "choice",
    title: "Purpose",
    options: "meeting|Meeting\ndelivery|Delivery\ninterview|Interview",
    required: "on",
  },
  { type: "integer", title: "Badge number", minimum: "1", maximum: "999" },
  { type: "boolean", title: "Escort needed" },
  { type: "text", title: "Escort", visibleField: "escortNeeded", visibleValue: "true" },
  { type: "textarea", title: "Notes", maxLength: "2000" },
  { type: "rows", title: "Companions" },
];

export const VISITOR_LIST = {
  columns: ["name", "company", "visitDate", "purpose"],
  searchable: ["name", "company"],
  sort: "-visitDate",
};

async function ok(p: Promise<{ res: Response; html: string }>, what: string) {
  const r = await p;
  assert.is(
    r.res.status,
    303,
    `${what}: ${r.res.status} ${r.html.match(/class="field-error"[^>]*>([^<]+)</)?.[1] ?? ""}`,
  );
  return r;
}

/** Builds and publishes Visitor log with plain POSTs (no JavaScript); returns nothing, asserts every step. */
export async function buildVisitorLogByPosts(designer: TestClient): Promise<void> {
  await designer.get("/configure/apps/new");
  await ok(designer.post("/configure/apps/new", { title: "Visitor log", id: "" }), "new app");
  await designer.get(APP);
  await ok(
    designer.post(`${APP}/fields/name`, { type: "text", title: "Visitor name", name: "name", required: "on" }),
    "relabel",
  );
  for (const f of VISITOR_FIELDS) await ok(designer.post(`${APP}/fields/new`, f), `add ${f.title}`);
  await ok(
    designer.post(`${APP}/fields/new`, { type: "text", title: "Phone", parent: "companions" }),
    "add Phone to rows",
  );
  // The moved field: Email goes above Company.
  await ok(designer.post(`${APP}/fields/email/move`, { direction: "up" }), "move");
  // What a drag and drop sends: Badge number dropped above Purpose.
  await ok(designer.post(`${APP}/fields/badgeNumber/move`, { before: "purpose" }), "drag");
  await ok(
    designer.post(`${APP}/fields/new`, { type: "section", title: "Visitor", fields: ["name", "email", "company"] }),
    "section 1",
  );
  await ok(designer.post(`${APP}/fields/new`, { type: "section", title: "Visit" }), "section 2");
  await ok(designer.post(`${APP}/list`, VISITOR_LIST), "list");
  await ok(designer.post(`${APP}/publish`, {}), "publish");
}

/** The designer suites' cast on the Public Site: designers dora and dan and administrator alice, each signed in. */
export async function designerTeam(
  env: TestEnv,
  password: string,
): Promise<{ siteId: string; dora: TestClient; dan: TestClient; admin: TestClient }> {
  const s = env.services;
  const siteId = (await s.sites.publicSite()).id;
  const signedIn = async (username: string, role: "designer" | "admin") => {
    await s.users.create({ siteId, username, password, role });
    const client = new TestClient(env.app);
    await client.signIn(username, password);
    return client;
  };
  return {
    siteId,
    dora: await signedIn("dora", "designer"),
    dan: await signedIn("dan", "designer"),
    admin: await signedIn("alice", "admin"),
  };
}
