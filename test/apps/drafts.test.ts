// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { createServices } from "../../engine/services.js";
import { DefinitionError } from "../../engine/schema/app-definition.js";
import { DefinitionVersionConflict } from "../../engine/apps/app-registry.js";
import type { AppDefinition } from "../../engine/schema/types.js";
import { createLogger } from "../../engine/log.js";
import { startTestEnv, testConfig, TEST_SECRET_KEY, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

interface Ctx {
  env: TestEnv;
  siteId: string;
}

const t = suite<Ctx>(`app drafts [${testBackend}]`);
const dora = { id: null, name: "dora" };

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  ctx.siteId = (await ctx.env.services.sites.publicSite()).id;
});
t.after(async (ctx) => ctx.env.close());

const withField = (def: AppDefinition, name: string): AppDefinition => ({
  ...def,
  record: { ...def.record, properties: { ...def.record.properties, [name]: { type: "string", title: name } } },
});

t("a draft is not live before Publish, survives a restart, and Publish makes it the next version", async (ctx) => {
  const s = ctx.env.services;
  const live = (await s.apps.get(ctx.siteId, "equipment-inspections"))!;
  await s.drafts.save(ctx.siteId, withField(live.definition, "colour"), live.version, dora);
  assert.is((await s.apps.get(ctx.siteId, "equipment-inspections"))!.version, live.version);
  assert.not.ok("colour" in (await s.apps.get(ctx.siteId, "equipment-inspections"))!.definition.record.properties);

  // A restart: new services over the same database.
  const again = createServices(
    ctx.env.db,
    ctx.env.clock,
    testConfig(),
    createLogger("error", () => {}),
    Buffer.from(TEST_SECRET_KEY, "base64"),
  );
  const draft = await again.drafts.get(ctx.siteId, "equipment-inspections");
  assert.ok(draft);
  assert.is(draft.updatedBy.name, "dora");
  assert.is(draft.baseVersion, live.version);
  assert.ok("colour" in draft.definition.record.properties);

  const version = await again.drafts.publish(ctx.siteId, "equipment-inspections", dora);
  assert.is(version, live.version + 1);
  assert.is(await again.drafts.get(ctx.siteId, "equipment-inspections"), null);
  const published = (await again.apps.get(ctx.siteId, "equipment-inspections"))!;
  assert.ok("colour" in published.definition.record.properties);
});

t("an invalid draft is refused and the stored draft stays as it was", async (ctx) => {
  const s = ctx.env.services;
  const live = (await s.apps.get(ctx.siteId, "equipment-inspections"))!;
  await s.drafts.save(ctx.siteId, withField(live.definition, "size"), live.version, dora);
  const broken = withField(live.definition, "1bad");
  try {
    await s.drafts.save(ctx.siteId, broken, live.version, dora);
    assert.unreachable("saved");
  } catch (err) {
    assert.instance(err, DefinitionError);
  }
  assert.ok("size" in (await s.drafts.get(ctx.siteId, "equipment-inspections"))!.definition.record.properties);
  assert.ok(await s.drafts.discard(ctx.siteId, "equipment-inspections"));
  assert.is(await s.drafts.get(ctx.siteId, "equipment-inspections"), null);
});

t("publishing a draft whose base was overtaken is refused and keeps the draft", async (ctx) => {
  const s = ctx.env.services;
  // The other test published through other services: this instance's version cache may lag (2 s).
  const version = (await s.apps.history(ctx.siteId, "equipment-inspections"))[0]!.version;
  const live = (await s.apps.definitionAt(ctx.siteId, "equipment-inspections", version))!;
  await s.drafts.save(ctx.siteId, withField(live, "weight"), version, dora);
  await s.apps.save(ctx.siteId, live, dora, version);
  try {
    await s.drafts.publish(ctx.siteId, "equipment-inspections", dora);
    assert.unreachable("published");
  } catch (err) {
    assert.instance(err, DefinitionVersionConflict);
  }
  assert.ok(await s.drafts.get(ctx.siteId, "equipment-inspections"));
});

t.run();
