// @storage
// Issue 20, fault 10: a field deleted from an app keeps its values in the records; adding a field
// with the same name and another type (text "note" → whole number "note") is compared with the
// values still stored and refused, in the designer and the JSON editor's check alike.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { breakingChanges } from "../../engine/apps/definition-changes.js";
import { addField, deleteField, updateField } from "../../engine/apps/designer-field-edits.js";
import { storedValueTypes, type StoredValueTypes } from "../../engine/apps/stored-values.js";
import type { AppDefinition } from "../../engine/schema/types.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

const APP = "equipment-inspections";
const t = suite<{ env: TestEnv; siteId: string }>(`re-using a deleted field's name [${testBackend}]`);
const actor = { id: null, name: "designer" };

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());

/** Publishes `change` applied to the app's current definition; returns the new definition. */
async function publish(env: TestEnv, siteId: string, change: (d: AppDefinition) => void): Promise<AppDefinition> {
  const app = (await env.services.apps.get(siteId, APP))!;
  const d = structuredClone<AppDefinition>(app.definition);
  change(d);
  await env.services.apps.save(siteId, d, actor, app.version);
  return (await env.services.apps.get(siteId, APP))!.definition;
}

t(
  "text 'note' deleted, then 'note' as a whole number: refused while records hold text under it",
  async ({ env, siteId }) => {
    const s = env.services;
    await publish(env, siteId, (d) => {
      d.record.properties.note = { type: "string", title: "Note", maxLength: 200 };
      d.form!.sections![0]!.fields.push("note");
    });
    const app = (await s.apps.get(siteId, APP))!;
    const store = s.apps.storeFor(app);
    const ctx = { siteId, actor };
    const base = { equipment: "Press", inspectedOn: "2026-01-02", result: "pass" };
    await store.create(app, ctx, { ...base, serialNumber: "PR-1", note: "left guard loose" });
    await store.create(app, ctx, { ...base, serialNumber: "PR-2", note: "ok" });
    await store.create(app, ctx, { ...base, serialNumber: "PR-3" });
    const without = await publish(env, siteId, (d) => {
      delete d.record.properties.note;
      d.form!.sections![0]!.fields = d.form!.sections![0]!.fields.filter((f) => f !== "note");
    });

    const stored = await storedValueTypes(s.db, (await s.apps.get(siteId, APP))!, siteId);
    assert.equal([...stored.get("note")!], [["string", 2]], "the deleted field's values are still stored");
    const editCtx = { published: without, recordCount: 3, stored };

    const asNumber = addField(without, { type: "integer", title: "Note", name: "note" }, editCtx);
    assert.is(asNumber.ok, false);
    const message = Object.values((asNumber as { errors: Record<string, string> }).errors).join(" ");
    assert.match(message, /"note" was the name of an earlier field: 2 stored records hold text under it/);
    assert.match(message, /Choose another name/);

    // The same type again is fine (the old values fit), and so is another name.
    assert.is(addField(without, { type: "text", title: "Note", name: "note" }, editCtx).ok, true);
    assert.is(addField(without, { type: "integer", title: "Note count", name: "noteCount" }, editCtx).ok, true);

    // The JSON editor's check (breakingChanges with the stored values) refuses it too.
    const json = structuredClone<AppDefinition>(without);
    json.record.properties.note = { type: "integer", title: "Note" };
    assert.equal(
      breakingChanges(without, json, 3, stored).map((p) => p.pointer),
      ["/record/properties/note/type"],
    );
    assert.equal(breakingChanges(without, json, 3), [], "without the stored values the old check saw nothing");
  },
);

t("a designer field of the users app is checked against users.data", async ({ env, siteId }) => {
  const s = env.services;
  const users = (await s.apps.get(siteId, "user-accounts"))!;
  const u = await s.users.create({ siteId, username: "olga" });
  await s.db.query(`UPDATE users SET data = '{"badge": 1234}'::jsonb WHERE id = $1`, [u.id]);
  const stored = await storedValueTypes(s.db, users, siteId);
  const r = addField(
    users.definition,
    { type: "text", title: "Badge", name: "badge" },
    {
      published: users.definition,
      recordCount: 1,
      stored,
    },
  );
  assert.is(r.ok, false);
  assert.match(
    Object.values((r as { errors: Record<string, string> }).errors).join(" "),
    /1 stored record holds numbers/,
  );
});

/** The edit context of `stored` as if no record held a value under "due". */
function empty(published: AppDefinition, recordCount: number, stored: StoredValueTypes) {
  const without = new Map(stored);
  without.delete("due");
  return { published, recordCount, stored: without };
}

t(
  'delete, type change and rename count only the records holding a value (blank is none, "" too)',
  async ({ env, siteId }) => {
    const s = env.services;
    const def = await publish(env, siteId, (d) => {
      d.record.properties.price = { type: "number", title: "Price" };
      d.record.properties.due = { type: "string", format: "date", title: "Due" };
      d.form!.sections![0]!.fields.push("price", "due");
    });
    const app = (await s.apps.get(siteId, APP))!;
    const ctx = { siteId, actor };
    const base = { equipment: "Lathe", inspectedOn: "2026-01-02", result: "pass" };
    for (let i = 1; i <= 5; i++) {
      const values: Record<string, unknown> = { ...base, serialNumber: `LA-${i}` };
      if (i <= 2) values.price = 10 * i;
      if (i === 1) values.due = "2026-03-01";
      await s.apps.storeFor(app).create(app, ctx, values);
    }
    // A blank value written as "" by some older path holds nothing either.
    await env.db.query(
      `UPDATE records SET data = data || '{"due": ""}'::jsonb WHERE app_id = $1 AND data->>'serialNumber' = 'LA-3'`,
      [APP],
    );
    const recordCount = await s.apps.storeFor(app).count(app, siteId);
    const stored = await storedValueTypes(s.db, app, siteId);
    const editCtx = { published: def, recordCount, stored };
    assert.ok(recordCount >= 5);

    const deleted = deleteField(def, "price", editCtx);
    assert.ok(deleted.ok);
    assert.match(deleted.ok ? deleted.message : "", /kept in the 2 records that hold one/);
    const one = deleteField(def, "due", editCtx);
    assert.match(one.ok ? one.message : "", /kept in the 1 record that holds one;/, "the verb agrees");
    const retyped = updateField(def, "due", { type: "number" }, editCtx);
    assert.is(retyped.ok, false);
    const message = Object.values((retyped as { errors: Record<string, string> }).errors).join(" ");
    // The field's label and the designer's names of the types, not JSON Schema's ("from string to number").
    assert.match(message, /Changes the type of "Due" from Date to Number, and 1 stored record holds the old type/);
    // A rename counts the records holding a value too (5 or more records, 2 with a price).
    const renamed = updateField(def, "price", { name: "cost" }, editCtx);
    assert.is(
      (renamed as { errors: Record<string, string> }).errors.name,
      '2 stored records hold a value under "price", so the name cannot change once records exist. Change the label instead.',
    );
    const unheld = updateField(def, "due", { name: "dueOn" }, empty(def, recordCount, stored));
    assert.match(
      (unheld as { errors: Record<string, string> }).errors.name!,
      /^The app has \d+ stored records \(none with a value under "due"\), so/,
    );
    // A field no record holds a value of: nothing to keep, and its type may change.
    assert.ok(updateField(def, "due", { type: "number" }, empty(def, recordCount, stored)).ok);
    const none = deleteField(def, "due", empty(def, recordCount, stored));
    assert.match(none.ok ? none.message : "", /No record holds a value under "due"\./);
  },
);

t.run();
