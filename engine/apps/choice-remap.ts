// Removed choice options at publish time, in SQL: how many records hold each one, and mapping
// their values to a remaining option inside the publish's transaction, so the new version and the
// changed records commit together or not at all. Records of ordinary apps get a new version, a
// revision, their search text, sort keys and a change number for syncing devices, as any edit;
// user accounts (designer fields in users.data) a new version.
import type { AuditLog } from "../audit/audit-log.js";
import type { Clock } from "../clock.js";
import type { Db } from "../db/db.js";
import type { AppScalar } from "../schema/types.js";
import {
  decisionKey,
  jsonPathOf,
  mapStoredValue,
  removedOptions,
  type OptionDecision,
  type RemovedOption,
} from "./choice-changes.js";
import type { CompiledApp } from "./compiled-app.js";
import { nextChangeSeq } from "./record-feed.js";
import { recordSource } from "./stored-values.js";
import { REVISION, searchOf, writeSortKeys } from "./record-sql.js";
import type { Actor } from "./record-store-contract.js";
import type { AppDefinition } from "../schema/types.js";
import { ConflictError } from "../errors.js";

/** A removed option with how many records of the site hold it. */
export type RemovedOptionInUse = RemovedOption & { records: number };

/**
 * Publishing would take away options that stored records hold, and the designer has not said (or
 * no longer for these options) what to do with them: the page lists `options` and asks. HTTP 409
 * when it is an answer to a stale page; the route shows the question itself with 200.
 */
export class RemovedOptionsInUse extends ConflictError {
  constructor(
    readonly options: RemovedOptionInUse[],
    /** The records holding an option are not as many as the answered page said (`options` has the counts now). */
    readonly countsChanged = false,
  ) {
    super(
      `Publishing removes ${options.length === 1 ? "an option" : "options"} that records hold. Say for each whether the records keep the value or change to another option.`,
    );
  }
}

/**
 * The options `after` removes from the published definition `before` that records of `app` on a
 * site still hold, with their counts (one indexed scan per option); options no record holds are
 * left out.
 */
export async function removedOptionsInUse(
  db: Db,
  app: CompiledApp,
  siteId: string,
  before: AppDefinition,
  after: AppDefinition,
): Promise<RemovedOptionInUse[]> {
  const out: RemovedOptionInUse[] = [];
  const src = recordSource(app, siteId);
  for (const r of removedOptions(before, after)) {
    const params = [...src.params, jsonPathOf(r), JSON.stringify({ v: r.value })];
    const { rows } = await db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM ${src.table} WHERE ${src.where}
       AND jsonb_path_exists(data, $${params.length - 1}::jsonpath, $${params.length}::jsonb)`,
      params,
    );
    if (rows[0]!.n > 0) out.push({ ...r, records: rows[0]!.n });
  }
  return out;
}

/** Who applies the decisions, and where the audit entries go. */
export interface RemapContext {
  siteId: string;
  actor: Actor;
  clock: Clock;
  audit: AuditLog;
  /** The version being published, for the audit entries. */
  version: number;
}

/**
 * Applies the designer's decision for every option of `inUse` (decisions by decisionKey) in the
 * caller's transaction `tx`: a mapping rewrites every record holding the value, a keep changes
 * nothing; each is audited (`app.option.map`, `app.option.keep`, with the field, the value and the
 * number of records). Throws RemovedOptionsInUse when an option has no decision or a mapping
 * names no remaining option, and (countsChanged) when `shown`, the counts by decisionKey the
 * answered page showed, differ from the records holding an option now or changed by its mapping.
 * Returns the number of records changed.
 */
export async function applyOptionDecisions(
  tx: Db,
  app: CompiledApp,
  inUse: RemovedOptionInUse[],
  decisions: Map<string, OptionDecision>,
  ctx: RemapContext,
  shown: Map<string, number> = new Map(),
): Promise<number> {
  const plan = inUse.map((r) => ({ r, d: decisions.get(decisionKey(r)) }));
  const bad = plan.some(({ r, d }) => !d || ("to" in d && !r.remaining.some((o) => o.value === d.to)));
  if (bad) throw new RemovedOptionsInUse(inUse);
  const other = (r: RemovedOptionInUse, n: number) => shown.has(decisionKey(r)) && shown.get(decisionKey(r)) !== n;
  if (inUse.some((r) => other(r, r.records))) throw new RemovedOptionsInUse(inUse, true);
  let changed = 0;
  for (const { r, d } of plan) {
    const details = { app: app.id, version: ctx.version, field: r.path, option: r.value, records: r.records };
    if (!d || "keep" in d) {
      await ctx.audit.record({ siteId: ctx.siteId, actor: ctx.actor, action: "app.option.keep", details }, tx);
      continue;
    }
    const n = await mapOption(tx, app, r, d.to, ctx);
    // A record stored between the count and the mapping: not what the designer was shown (rolled back).
    if (other(r, n))
      throw new RemovedOptionsInUse(
        inUse.map((o) => (o === r ? { ...o, records: n } : o)),
        true,
      );
    changed += n;
    await ctx.audit.record(
      { siteId: ctx.siteId, actor: ctx.actor, action: "app.option.map", details: { ...details, to: d.to, records: n } },
      tx,
    );
  }
  return changed;
}

async function mapOption(tx: Db, app: CompiledApp, r: RemovedOption, to: AppScalar, ctx: RemapContext) {
  const src = recordSource(app, ctx.siteId);
  const params = [...src.params, jsonPathOf(r), JSON.stringify({ v: r.value })];
  const { rows } = await tx.query<{ id: string; data: Record<string, unknown> }>(
    `SELECT id, data FROM ${src.table} WHERE ${src.where}
     AND jsonb_path_exists(data, $${params.length - 1}::jsonpath, $${params.length}::jsonb) ORDER BY id FOR UPDATE`,
    params,
  );
  const changed = rows.filter((row) => mapStoredValue(row.data, r, to));
  if (!changed.length) return 0;
  const now = ctx.clock.now();
  if (app.usersApp) {
    await tx.query(
      `UPDATE users u SET data = n.data, version = u.version + 1, updated_at = $3, updated_by = $4
       FROM jsonb_to_recordset($1::jsonb) AS n (id uuid, data jsonb) WHERE u.id = n.id AND u.site_id = $2`,
      [JSON.stringify(changed), ctx.siteId, now, ctx.actor.id],
    );
    return changed.length;
  }
  const last = await nextChangeSeq(tx, ctx.siteId, app.id, changed.length);
  const batch = changed.map((row, i) => ({ ...row, seq: last - changed.length + i + 1 }));
  await tx.query(
    `UPDATE records r SET data = n.data, search = ${searchOf("n.data", "$4")}, version = r.version + 1,
       updated_at = $5, updated_by = $6, change_seq = n.seq
     FROM jsonb_to_recordset($1::jsonb) AS n (id uuid, data jsonb, seq bigint)
     WHERE r.id = n.id AND r.site_id = $2 AND r.app_id = $3`,
    [JSON.stringify(batch), ctx.siteId, app.id, app.list.searchable, now, ctx.actor.id],
  );
  const ids = changed.map((row) => row.id);
  await writeSortKeys(
    tx,
    app.list.columns.map((c) => c.name),
    ids,
  );
  await tx.query(
    `${REVISION} SELECT id, version, site_id, app_id, 'update', data, $2, $3, $4, 'web' FROM records WHERE id = ANY($1::uuid[])`,
    [ids, now, ctx.actor.id, ctx.actor.name],
  );
  return changed.length;
}
