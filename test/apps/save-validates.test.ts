// @storage
// Save validates (issue 19; PocketBase's "Save validates"): the app's rules live on the store path,
// so whoever saves a record — a route, the device API, the CLI, a rollout, an import — cannot skip
// them. These tests save through the services, no route in between.
import { suite } from "uvu";
import * as assert from "uvu/assert";
import type { StoreContext } from "../../engine/apps/record-store-contract.js";
import { USER_ACCOUNTS_APP } from "../../engine/apps/app-registry.js";
import { ValidationError } from "../../engine/errors.js";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { rejects } from "../helpers/assert.js";
import { testBackend } from "../helpers/db.js";

interface Ctx {
  env: TestEnv;
  siteId: string;
  ctx: StoreContext;
}

const t = suite<Ctx>(`save validates: records through the services [${testBackend}]`);

t.before(async (c) => {
  c.env = await startTestEnv();
  c.siteId = (await c.env.services.sites.publicSite()).id;
  const admin = await c.env.services.users.create({
    siteId: c.siteId,
    username: "alice",
    password: "correct horse battery",
    role: "admin",
  });
  c.ctx = { siteId: c.siteId, actor: { id: admin.id, name: "alice" } };
});
t.after(async (c) => c.env.close());

/** The ValidationError a save threw, with its messages per field path. */
async function refused(save: Promise<unknown>): Promise<ValidationError> {
  const err = await rejects(save, (e) => e instanceof ValidationError);
  return err as ValidationError;
}

const count = async (env: TestEnv, sql: string, siteId: string) =>
  (await env.db.query<{ n: number }>(sql, [siteId])).rows[0]!.n;

t(
  "a record store refuses bad data with a ValidationError per field, and saves nothing",
  async ({ env, siteId, ctx }) => {
    const app = (await env.services.apps.get(siteId, "equipment-inspections"))!;
    const store = env.services.apps.storeFor(app);
    const countSql = "SELECT count(*)::int AS n FROM records WHERE site_id = $1";
    const before = await count(env, countSql, siteId);
    const err = await refused(
      store.create(app, ctx, { equipment: "Ladder", result: "maybe", hoursInUse: "12a", checklist: [{ done: 3 }] }),
    );
    assert.is(err.fields.serialNumber, "Serial number is required.");
    assert.is(err.fields.inspectedOn, "Inspected on is required.");
    assert.is(err.fields.result, "Result must be one of the options.");
    assert.match(err.fields.hoursInUse!, /^Hours in use must be a whole number/);
    assert.is(await count(env, countSql, siteId), before);

    const saved = await store.create(app, ctx, {
      equipment: "Ladder",
      serialNumber: "L-1",
      inspectedOn: "2026-12-01",
      result: "pass",
    });
    const edit = await refused(
      store.update(app, ctx, saved.id, {
        expectedVersion: saved.version,
        values: { ...saved.values, result: "" },
        fields: ["result"],
      }),
    );
    assert.ok(edit.fields.result, "an edit is refused in the field it breaks");
    assert.is((await store.get(app, ctx, saved.id))!.values.result, "pass");
  },
);

t("the user-accounts store (the users table) validates too: create and update", async ({ env, siteId, ctx }) => {
  const app = (await env.services.apps.get(siteId, USER_ACCOUNTS_APP))!;
  const store = env.services.apps.storeFor(app);
  const countSql = "SELECT count(*)::int AS n FROM users WHERE site_id = $1";
  const before = await count(env, countSql, siteId);
  const err = await refused(
    store.create(app, ctx, {
      username: "bob",
      password: "a long enough password",
      role: "emperor",
      webAccess: "yes",
      mfaEnforcementDelayDays: 7,
    }),
  );
  assert.is(err.fields.role, "Role must be one of the options.");
  assert.is(err.fields.webAccess, "Web access must be yes or no.");
  assert.is(await count(env, countSql, siteId), before);

  const bob = await store.create(app, ctx, {
    username: "bob",
    password: "a long enough password",
    role: "user",
    webAccess: true,
    mfaEnforcementDelayDays: 7,
  });
  const edit = await refused(
    store.update(app, ctx, bob.id, {
      expectedVersion: bob.version,
      values: { ...bob.values, mfaEnforcementDelayDays: -5 },
      fields: ["mfaEnforcementDelayDays"],
    }),
  );
  assert.ok(edit.fields.mfaEnforcementDelayDays, "the delay is refused in its own field");
  assert.is((await store.get(app, ctx, bob.id))!.version, bob.version, "nothing was saved");
});

t.run();
