// @storage
import { suite } from "uvu";
import * as assert from "uvu/assert";
import { purgeOldAudit } from "../../engine/ops/audit-retention.js";
import { startTestEnv } from "../helpers/app.js";
import { testBackend } from "../helpers/db.js";

// AUDIT_RETENTION_DAYS (issue 24): entries older than the retention are deleted, younger ones kept,
// and the purge is itself audited (how many, up to when) on the site that lost them. Unset: nothing.
const t = suite(`audit retention [${testBackend}]`);

async function seed(env: Awaited<ReturnType<typeof startTestEnv>>, siteId: string, agesInDays: number[]) {
  const now = env.clock.now().getTime();
  for (const age of agesInDays) {
    await env.db.query(
      `INSERT INTO audit_log (at, site_id, actor_name, action, details) VALUES ($1, $2, 'seed', 'seed.entry', $3::jsonb)`,
      [new Date(now - age * 86_400_000), siteId, JSON.stringify({ age })],
    );
  }
}

t("entries older than the retention are purged, the purge is audited", async () => {
  const env = await startTestEnv({ AUDIT_RETENTION_DAYS: 30 });
  try {
    const site = (await env.services.sites.publicSite()).id;
    await seed(env, site, [400, 31, 30.5, 29, 1]);
    const r = await purgeOldAudit(env.services);
    assert.is(r?.deleted, 3);
    const { rows } = await env.db.query<{ action: string; details: Record<string, unknown>; site_id: string }>(
      "SELECT action, details, site_id FROM audit_log ORDER BY id",
    );
    assert.equal(
      rows.filter((x) => x.action === "seed.entry").map((x) => x.details.age),
      [29, 1],
    );
    const purge = rows.filter((x) => x.action === "audit.purge");
    assert.is(purge.length, 1);
    assert.is(purge[0]!.site_id, site);
    assert.equal(purge[0]!.details, {
      deleted: 3,
      before: new Date(env.clock.now().getTime() - 30 * 86_400_000).toISOString(),
      retentionDays: 30,
    });
    // A second run the same day finds nothing and writes nothing.
    assert.is((await purgeOldAudit(env.services))?.deleted, 0);
    assert.is((await env.db.query("SELECT 1 FROM audit_log WHERE action = 'audit.purge'")).rowCount, 1);
    // A day later the 29-day-old entry is still young enough; 2 days later it goes.
    env.clock.advanceDays(2);
    assert.is((await purgeOldAudit(env.services))?.deleted, 1);
  } finally {
    await env.close();
  }
});

t("without AUDIT_RETENTION_DAYS nothing is deleted", async () => {
  const env = await startTestEnv();
  try {
    await seed(env, (await env.services.sites.publicSite()).id, [4000, 400]);
    assert.is(await purgeOldAudit(env.services), null);
    assert.is((await env.db.query("SELECT 1 FROM audit_log WHERE action = 'seed.entry'")).rowCount, 2);
  } finally {
    await env.close();
  }
});

t.run();
