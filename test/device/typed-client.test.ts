// @storage
import { readFileSync, writeFileSync } from "node:fs";
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { startTestEnv, type TestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";
import { bearer } from "./client.js";
import { generateClientTypes, GENERATED_FILE } from "./typed-client/generate.js";
import { typedClient, typedClientFlow } from "./typed-client/flow.js";

const APP = "equipment-inspections";
const t = suite<{ env: TestEnv; tokens: string[] }>(`a generated TypeScript client [${testBackend}]`);

t.before(async (ctx) => {
  ctx.env = await startTestEnv();
  const s = ctx.env.services;
  const siteId = (await s.sites.publicSite()).id;
  ctx.tokens = [];
  for (const username of ["ana", "ben"]) {
    const u = await s.users.create({
      siteId,
      username,
      password: "a long password",
      role: "admin",
      deviceAccess: true,
    });
    ctx.tokens.push((await s.deviceTokens.issue(u.id, null)).token);
  }
});
t.after(async (ctx) => ctx.env.close());

t("openapi-typescript turns the app's document into the types the client is compiled with", async ({ env, tokens }) => {
  const res = await env.app.request(`/api/device/apps/${APP}/openapi.json`, { headers: bearer(tokens[0]!) });
  assert.is(res.status, 200);
  const generated = await generateClientTypes((await res.json()) as Record<string, unknown>);
  if (process.env.GENERATED === "update") writeFileSync(GENERATED_FILE, generated);
  // flow.ts is type-checked (npm run check) against this file: it must be what the server describes now.
  assert.fixture(
    readFileSync(GENERATED_FILE, "utf8"),
    generated,
    "test/device/typed-client/equipment-inspections-api.ts is stale: run GENERATED=update npm test -- typed-client",
  );
  assert.match(generated, /"\/api\/device\/apps\/equipment-inspections\/records\/\{recordId\}": \{/);
  assert.match(generated, /location\?: "Workshop A" \| "Workshop B" \| "Yard" \| "Warehouse"/);
});

t("the typed client lists, reads, creates (retried), updates, meets 409 and 422, deletes and syncs", async (ctx) => {
  const fetch = async (request: Request) => ctx.env.app.request(request);
  const [a, b] = ctx.tokens.map((token) => typedClient(fetch, token));
  const r = await typedClientFlow(a!, b!);
  assert.ok(r.appIds.includes(APP));
  assert.is(r.definitionVersion, 0);
  assert.is(r.resultWidget, "radio");
  assert.is(r.createStatus, 201);
  assert.is(r.retryStatus, 200);
  assert.is(r.retried.id, r.created.id, "the retried create answers with the first record");
  const { rows } = await ctx.env.db.query<{ n: number }>(
    "SELECT count(*)::int AS n FROM record_revisions WHERE operation = 'create'",
  );
  assert.is(rows[0]!.n, 2, "one record from the two creates with one key, and the second client's");
  assert.is(r.updated.version, 2);
  assert.is(r.updated.data.location, "Yard");
  assert.equal(r.stale, { status: 409, code: "conflict", changed: ["location", "hoursInUse"] });
  assert.is(r.invalid.status, 422);
  assert.match(r.invalid.fields["/data/serialNumber"] ?? "", /^Serial number /);
  // The second client's change arrives in the next sync page, and its deletion (the record it made
  // and deleted in between arrives as a deletion only).
  assert.equal(
    r.afterOthers.records.map((rec) => [rec.id, rec.version, rec.data.result]),
    [[r.created.id, 3, "pass-with-notes"]],
  );
  assert.is(r.afterOthers.deleted.length, 1);
  assert.is.not(r.afterOthers.deleted[0], r.created.id);
  assert.is(r.deleteStatus, 204);
  const after = await a!.GET(`/api/device/apps/${APP}/records`, {
    params: { query: { changedSince: r.afterOthers.cursor } },
  });
  assert.equal(after.data && "deleted" in after.data ? after.data.deleted : null, [r.created.id]);
});

t.run();
