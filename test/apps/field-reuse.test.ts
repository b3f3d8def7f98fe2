// @storage
// Issue 20, fault 10: a field deleted from an app keeps its values in the records; adding a field
// with the same name and another type (text "note" → whole number "note") is compared with the
// values still stored and refused, in the designer and the JSON editor's check alike.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { breakingChanges } from "../../engine/apps/definition-changes.js";
import { addField } from "../../engine/apps/designer-field-edits.js";
import { storedValueTypes } from "../../engine/apps/stored-values.js";
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

t.run();
