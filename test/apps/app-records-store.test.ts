// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { compileApp, type CompiledApp } from "../../engine/apps/compiled-app.js";
import {
  RecordConflictError,
  RecordNotFoundError,
  type Cursor,
  type StoreContext,
} from "../../engine/apps/record-store-contract.js";
import { AppRecordsStore, SEARCH_HITS_CAP } from "../../engine/apps/app-records-store.js";
import { searchPatterns } from "../../engine/db/like.js";
import { ManualClock } from "../../engine/clock.js";
import type { Db } from "../../engine/db/db.js";
import type { AppDefinition } from "../../engine/schema/types.js";
import { rejects } from "../helpers/assert.js";
import { openTestDb, testBackend } from "../helpers/db.js";

interface Ctx {
  db: Db;
  store: AppRecordsStore;
  clock: ManualClock;
  app: CompiledApp;
  a: StoreContext;
  b: StoreContext;
}

const t = suite<Ctx>(`records store [${testBackend}]`);

const definition: AppDefinition = {
  id: "parts",
  title: "Parts",
  record: {
    type: "object",
    required: ["name"],
    properties: {
      name: { type: "string" },
      qty: { type: "integer" },
      colour: { type: "string", enum: ["red", "blue"] },
      code: { type: "string", writeOnly: true },
      notes: { type: "string" },
    },
  },
  list: { columns: ["name", "qty", "colour"], sort: "name", searchable: ["name"] },
};

t.before(async (ctx) => {
  ctx.db = await openTestDb();
  ctx.clock = new ManualClock();
  ctx.store = new AppRecordsStore(ctx.db, ctx.clock);
  ctx.app = compileApp(definition, 0);
  const siteA = (await ctx.db.query<{ id: string }>("SELECT id FROM sites WHERE is_public")).rows[0]!.id;
  const siteB = (
    await ctx.db.query<{ id: string }>("INSERT INTO sites (slug, name) VALUES ('other', 'Other') RETURNING id")
  ).rows[0]!.id;
  ctx.a = { siteId: siteA, actor: { id: null, name: "alice" } };
  ctx.b = { siteId: siteB, actor: { id: null, name: "bob" } };
});
t.after(async (ctx) => ctx.db.close());
t.before.each(async (ctx) => {
  await ctx.db.query("DELETE FROM records");
  await ctx.db.query("DELETE FROM record_revisions");
});

t(
  "create, get, update and delete keep a version per record and a revision per change",
  async ({ store, app, a, db }) => {
    const r = await store.create(app, a, { name: "Bolt", qty: 4 });
    assert.is(r.version, 1);
    assert.equal((await store.get(app, a, r.id))!.values, { name: "Bolt", qty: 4 });
    const u = await store.update(app, a, r.id, {
      expectedVersion: 1,
      values: { name: "Bolt M4", qty: 5 },
      fields: ["name", "qty"],
    });
    assert.is(u.version, 2);
    assert.is((await store.get(app, a, r.id))!.updatedByName, null, "no user row for the test actor");
    await store.delete(app, a, r.id, 2);
    assert.is(await store.get(app, a, r.id), null);
    const { rows } = await db.query<{ version: number; operation: string; actor_name: string; data: { name: string } }>(
      "SELECT version, operation, actor_name, data FROM record_revisions WHERE record_id = $1 ORDER BY version",
      [r.id],
    );
    assert.equal(
      rows.map((x) => [x.version, x.operation, x.data.name, x.actor_name]),
      [
        [1, "create", "Bolt", "alice"],
        [2, "update", "Bolt M4", "alice"],
        [3, "delete", "Bolt M4", "alice"],
      ],
    );
    assert.equal(await store.revision(app, a, r.id, 1), { name: "Bolt", qty: 4 });
  },
);

t(
  "saving over a newer version is a conflict that carries the current record; nothing changes",
  async ({ store, app, a }) => {
    const r = await store.create(app, a, { name: "Nut" });
    await store.update(app, a, r.id, { expectedVersion: 1, values: { name: "Nut 2" }, fields: ["name"] });
    const err = await rejects(
      store.update(app, a, r.id, { expectedVersion: 1, values: { name: "Nut 3" }, fields: ["name"] }),
      (e) => e instanceof RecordConflictError,
    );
    assert.is((err as RecordConflictError).current.version, 2);
    assert.is((err as RecordConflictError).current.values.name, "Nut 2");
    assert.is((await store.get(app, a, r.id))!.values.name, "Nut 2");
    await rejects(store.delete(app, a, r.id, 1), (e) => e instanceof RecordConflictError);
    await rejects(
      store.update(app, a, "00000000-0000-4000-8000-000000000000", { expectedVersion: 1, values: {}, fields: [] }),
      (e) => e instanceof RecordNotFoundError,
    );
  },
);

t(
  "an update replaces only the fields it decides; other stored keys (a removed field, a kept password) stay",
  async ({ store, app, a, db }) => {
    const r = await store.create(app, a, { name: "Washer", code: "s3cret", notes: "old note" });
    await db.query(`UPDATE records SET data = data || '{"retired": "kept"}'::jsonb WHERE id = $1`, [r.id]);
    await store.update(app, a, r.id, {
      expectedVersion: 1,
      values: { name: "Washer 2" },
      fields: ["name", "qty", "notes"],
    });
    const { rows } = await db.query<{ data: Record<string, unknown> }>("SELECT data FROM records WHERE id = $1", [
      r.id,
    ]);
    assert.equal(rows[0]!.data, { name: "Washer 2", code: "s3cret", retired: "kept" });
  },
);

t("a writeOnly value is stored but never read back", async ({ store, app, a }) => {
  const r = await store.create(app, a, { name: "Key", code: "1234" });
  assert.is(r.values.code, undefined);
  assert.is((await store.get(app, a, r.id))!.values.code, undefined);
  const page = await store.list(app, a, { sort: { field: "name", direction: "asc" }, limit: 10 });
  assert.is(page.rows[0]!.values.code, undefined);
});

async function walk(
  store: AppRecordsStore,
  app: CompiledApp,
  ctx: StoreContext,
  field: string,
  direction: "asc" | "desc",
  q?: string,
  limit = 7,
) {
  const seen: string[] = [];
  let after: Cursor | undefined;
  for (let i = 0; i < 500; i++) {
    const page = await store.list(app, ctx, {
      sort: { field, direction },
      limit,
      ...(after ? { after } : {}),
      ...(q ? { q } : {}),
    });
    seen.push(...page.rows.map((r) => r.id));
    if (!page.next) break;
    after = page.next;
  }
  return seen;
}

t(
  "lists sort on every column in both directions and page by keyset without gaps or repeats",
  async ({ store, app, a }) => {
    const colours = ["red", "blue", undefined];
    const values = Array.from({ length: 40 }, (_, i) => {
      const v: Record<string, unknown> = {
        name: `Part ${String.fromCharCode(65 + (i % 26))}${i % 3}`,
        qty: (i * 7) % 11,
      };
      const colour = colours[i % 3];
      if (colour) v.colour = colour;
      return v;
    });
    values.push({ name: "part z", qty: 100 });
    await store.createMany(app, a, values);
    const all = (await store.list(app, a, { sort: { field: "name", direction: "asc" }, limit: 1000 })).rows;
    assert.is(all.length, 41);
    for (const field of ["name", "qty", "colour"]) {
      for (const direction of ["asc", "desc"] as const) {
        const ids = await walk(store, app, a, field, direction);
        assert.is(ids.length, 41, `${field} ${direction}: every row once`);
        assert.is(new Set(ids).size, 41);
        const byId = new Map(all.map((r) => [r.id, r.values]));
        const keys = ids.map((id) => byId.get(id)![field]);
        const norm = (v: unknown) => (v === undefined ? null : typeof v === "string" ? v.toLowerCase() : v);
        for (let i = 1; i < keys.length; i++) {
          const x = norm(keys[i - 1]);
          const y = norm(keys[i]);
          if (x === null || y === null) {
            // Missing values sort first ascending, last descending.
            assert.ok(
              direction === "asc" ? x === null || y !== null : y === null || x !== null,
              `${field} ${direction} nulls`,
            );
            continue;
          }
          assert.ok(
            direction === "asc" ? x <= y : x >= y,
            `${field} ${direction}: ${JSON.stringify(x)} then ${JSON.stringify(y)}`,
          );
        }
      }
    }
    // Strings sort without regard to case: "part z" sorts among the "Part …" names.
    const names = all.map((r) => String(r.values.name).toLowerCase());
    assert.equal(names, [...names].sort());
    assert.ok(names.indexOf("part z") > 0 && names.indexOf("part z") < names.length - 1);
  },
);

t("the previous page (before=) is the page that came before", async ({ store, app, a }) => {
  await store.createMany(
    app,
    a,
    Array.from({ length: 20 }, (_, i) => ({ name: `N${String(i).padStart(2, "0")}` })),
  );
  const sort = { field: "name", direction: "asc" as const };
  const p1 = await store.list(app, a, { sort, limit: 6 });
  const p2 = await store.list(app, a, { sort, limit: 6, after: p1.next! });
  const p3 = await store.list(app, a, { sort, limit: 6, after: p2.next! });
  assert.is(p1.prev, null);
  const back = await store.list(app, a, { sort, limit: 6, before: p3.prev! });
  assert.equal(
    back.rows.map((r) => r.values.name),
    p2.rows.map((r) => r.values.name),
  );
  const first = await store.list(app, a, { sort, limit: 6, before: back.prev! });
  assert.equal(
    first.rows.map((r) => r.values.name),
    p1.rows.map((r) => r.values.name),
  );
  assert.is(first.prev, null, "no page before the first");
  assert.ok(first.next);
});

t(
  "search matches every word in the searchable fields, case-insensitively, with % and _ taken literally",
  async ({ store, app, a }) => {
    await store.createMany(app, a, [
      { name: "Red hex bolt", notes: "bolt in notes is not searchable" },
      { name: "Blue hex nut" },
      { name: "100% cotton_rag" },
      { name: "Hexagon key" },
    ]);
    const names = async (q: string) =>
      (await store.list(app, a, { q, sort: { field: "name", direction: "asc" }, limit: 10 })).rows.map(
        (r) => r.values.name,
      );
    assert.equal(await names("HEX"), ["Blue hex nut", "Hexagon key", "Red hex bolt"]);
    assert.equal(await names("hex bolt"), ["Red hex bolt"]);
    assert.equal(await names("in notes"), []);
    assert.equal(await names("100%"), ["100% cotton_rag"]);
    assert.equal(await names("n_r"), ["100% cotton_rag"]);
    assert.equal(await names("%"), ["100% cotton_rag"]);
    assert.equal(searchPatterns("a b c d e f g"), ["%a%", "%b%", "%c%", "%d%", "%e%"]);
    const paged = await walk(store, app, a, "name", "asc", "hex");
    assert.is(paged.length, 3);
  },
);

t("a broad search (more matches than the id list takes) pages the same way", async ({ store, app, a }) => {
  const n = SEARCH_HITS_CAP + 30;
  await store.createMany(
    app,
    a,
    Array.from({ length: n }, (_, i) => ({ name: `bolt ${String(i).padStart(5, "0")}`, qty: i })),
  );
  await store.create(app, a, { name: "nut" });
  const broad = await walk(store, app, a, "qty", "desc", "bolt", 100);
  assert.is(broad.length, n);
  assert.is(new Set(broad).size, n);
  // "0001" occurs in bolt 00010 to 00019, and in bolt 00001.
  const narrow = await store.list(app, a, { q: "bolt 0001", sort: { field: "qty", direction: "desc" }, limit: 20 });
  assert.equal(
    narrow.rows.map((r) => r.values.qty),
    [19, 18, 17, 16, 15, 14, 13, 12, 11, 10, 1],
  );
});

t("nothing of one site is visible or changeable from another", async ({ store, app, a, b }) => {
  const mine = await store.create(app, a, { name: "Site A widget" });
  await store.create(app, b, { name: "Site B part" });
  const listB = await store.list(app, b, { sort: { field: "name", direction: "asc" }, limit: 10 });
  assert.equal(
    listB.rows.map((r) => r.values.name),
    ["Site B part"],
  );
  assert.is(await store.get(app, b, mine.id), null);
  await rejects(
    store.update(app, b, mine.id, { expectedVersion: 1, values: { name: "taken" }, fields: ["name"] }),
    (e) => e instanceof RecordNotFoundError,
  );
  await rejects(store.delete(app, b, mine.id, 1), (e) => e instanceof RecordNotFoundError);
  assert.is((await store.get(app, a, mine.id))!.values.name, "Site A widget");
  assert.is(await store.count(app, a.siteId), 1);
  assert.is(
    (await store.list(app, b, { q: "widget", sort: { field: "name", direction: "asc" }, limit: 10 })).rows.length,
    0,
  );
});

t(
  "when a new definition lists other columns or searches other fields, keys and search text are rebuilt",
  async ({ store, app, a }) => {
    await store.createMany(app, a, [
      { name: "Alpha", notes: "zebra" },
      { name: "Beta", notes: "aardvark" },
    ]);
    const next = compileApp(
      { ...definition, list: { columns: ["notes", "name"], sort: "notes", searchable: ["notes"] } },
      1,
    );
    const page = await store.list(next, a, { sort: { field: "notes", direction: "asc" }, limit: 10 });
    assert.equal(
      page.rows.map((r) => r.values.name),
      ["Beta", "Alpha"],
    );
    const found = await store.list(next, a, { q: "zeb", sort: { field: "notes", direction: "asc" }, limit: 10 });
    assert.equal(
      found.rows.map((r) => r.values.name),
      ["Alpha"],
    );
    // And back: the old definition's view works again.
    const back = await store.list(app, a, { q: "alp", sort: { field: "qty", direction: "asc" }, limit: 10 });
    assert.equal(
      back.rows.map((r) => r.values.name),
      ["Alpha"],
    );
  },
);

t.run();
