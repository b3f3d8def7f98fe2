import { randomUUID } from "node:crypto";
import type { AuditLog } from "../../audit/audit-log.js";
import type { Clock } from "../../clock.js";
import type { Db } from "../../db/db.js";
import { foldSql } from "../../db/fold.js";
import { sql } from "../../db/statement.js";
import { isPgError, PgError } from "../../db/db.js";
import type { SecretBox } from "../secret-box.js";
import type { ParsedRow } from "./csv-formats.js";
import { tokenSecretContext } from "./token-registry.js";
import { openTokenFile } from "./token-file.js";
import type { TokenCandidate } from "./token-input.js";
import { plural } from "../../util/plural.js";
import {
  type BadRow,
  type CommitOptions,
  type CompletedImport,
  emptyReport,
  ImportRefused,
  type ImportOptions,
  type ImportReport,
  MAX_LISTED_BAD_ROWS,
  MAX_LISTED_GOOD_ROWS,
} from "./import-report.js";

/**
 * Import of a manufacturer's token file: a preview that checks every row
 * (format, duplicates in the file and in the registry, users named by `upn`)
 * and an import that runs the same checks and inserts the good rows in one
 * transaction, or nothing. Rows are handled in batches as they stream in, so
 * memory holds one batch plus the set of serial numbers seen. A batch's insert
 * runs while the next batch is read and its keys sealed, so the database and
 * the CPU work at the same time.
 */

export const BATCH_ROWS = 1000;
type Chunks = AsyncIterable<Uint8Array | string>;

interface GoodRow {
  line: number;
  token: TokenCandidate;
  upn: string | null;
  userId: string | null;
  /** Set on import: the new row's id and the key sealed for it. */
  id?: string;
  sealed?: string;
}

interface RunState {
  seen: Map<string, number>;
  /** The previous batch's insert, still running. */
  inFlight: Promise<unknown> | null;
}

/**
 * Imports hardware tokens from a CSV or PSKC (RFC 6030) file: `preview` checks every row and stores
 * nothing; `commit` stores all good rows in one transaction and throws ImportRefused, storing
 * nothing, when a row is bad without skipBad, the bad count differs from the one confirmed, or no
 * row is good. Throws ImportFileError when the file cannot be read as a token file.
 */
export class TokenImporter {
  constructor(
    private readonly db: Db,
    private readonly clock: Clock,
    private readonly secretBox: SecretBox,
    private readonly audit: AuditLog,
  ) {}

  /** Checks the file and says what an import would do; stores nothing. */
  async preview(chunks: Chunks, options: ImportOptions): Promise<ImportReport> {
    const report = emptyReport(options.fileName);
    await this.#run(this.db, chunks, report, options, null);
    return report;
  }

  /**
   * The import `importId` done by `actorId` (its audit entry, written in the import's transaction),
   * or null when no such import committed.
   */
  async completed(importId: string, actorId: string): Promise<CompletedImport | null> {
    const { rows } = await this.db.query<{
      at: Date;
      details: { fileName: string; imported: number; skipped: number };
    }>(
      `SELECT at, details FROM audit_log
        WHERE action = 'hardware_token.import' AND actor_id = $2 AND details->>'importId' = $1
        ORDER BY at DESC LIMIT 1`,
      [importId, actorId],
    );
    const r = rows[0];
    return r
      ? { at: r.at, fileName: r.details.fileName, imported: r.details.imported, skipped: r.details.skipped }
      : null;
  }

  /** Imports every good row, or nothing; throws ImportRefused (rolled back) when it may not. */
  async commit(chunks: Chunks, options: CommitOptions): Promise<ImportReport> {
    const importId = options.importId ?? randomUUID();
    const report = emptyReport(options.fileName);
    try {
      return await this.db.transaction(async (tx) => {
        // The registry grows by the whole file inside this transaction, but the planner
        // keeps its start-of-import statistics and would check each batch's serials with
        // a sequential scan that grows with every batch; the unique index answers them.
        await tx.query("SET LOCAL enable_seqscan = off");
        await this.#run(tx, chunks, report, options, { importId, actorId: options.actor.id });
        if (report.badCount > 0 && !options.skipBad) {
          throw new ImportRefused(
            { ...report, imported: 0 },
            `${report.badCount} row${report.badCount === 1 ? " is" : "s are"} bad: nothing was imported. Fix the file, or confirm that the bad rows are skipped.`,
          );
        }
        if (options.expectedBad !== undefined && options.expectedBad !== report.badCount) {
          throw new ImportRefused(
            { ...report, imported: 0 },
            `The file now has ${plural(report.badCount, "bad row")}, not the ${options.expectedBad} you confirmed (the registry changed since the preview): nothing was imported. Check the new preview.`,
          );
        }
        if (report.good === 0) {
          throw new ImportRefused(report, "The file has no good rows: nothing was imported.");
        }
        await this.audit.record(
          {
            siteId: options.siteId,
            actor: options.actor,
            action: "hardware_token.import",
            details: {
              importId,
              fileName: options.fileName,
              format: report.format,
              imported: report.imported,
              skipped: report.badCount,
              reserved: report.reserved,
            },
          },
          tx,
        );
        return report;
      });
    } catch (err) {
      // Another admin registered one of the serials between our check and our insert.
      if (isPgError(err, PgError.uniqueViolation)) {
        throw new ImportRefused(
          { ...report, imported: 0 },
          "A serial number in the file was registered by someone else during the import: nothing was imported. Try again.",
        );
      }
      throw err;
    }
  }

  async #run(
    db: Db,
    chunks: Chunks,
    report: ImportReport,
    options: ImportOptions,
    insert: { importId: string; actorId: string | null } | null,
  ): Promise<void> {
    const file = await openTokenFile(chunks, { preSharedKey: options.preSharedKey, password: options.password });
    report.format = file.description;
    report.ignoredColumns = file.ignoredColumns;
    const state: RunState = { seen: new Map(), inFlight: null };
    let batch: ParsedRow[] = [];
    const flush = async () => {
      if (batch.length === 0) return;
      const rows = batch;
      batch = [];
      await this.#checkBatch(db, rows, state, report, insert);
    };
    for await (const row of file.rows) {
      batch.push(row);
      if (batch.length >= BATCH_ROWS) await flush();
    }
    await flush();
    if (state.inFlight) await state.inFlight;
  }

  async #checkBatch(
    db: Db,
    rows: ParsedRow[],
    state: RunState,
    report: ImportReport,
    insert: { importId: string; actorId: string | null } | null,
  ): Promise<void> {
    const bad: BadRow[] = [];
    const good: GoodRow[] = [];
    for (const r of rows) {
      report.total++;
      if (!r.ok) {
        bad.push({ line: r.line, serialNumber: r.serialNumber, reason: r.reason });
        continue;
      }
      const key = r.token.serialNumber.toLowerCase();
      const earlier = state.seen.get(key);
      if (earlier !== undefined) {
        bad.push({
          line: r.line,
          serialNumber: r.token.serialNumber,
          reason: `duplicate serial number ${r.token.serialNumber} (also on line ${earlier})`,
        });
        continue;
      }
      state.seen.set(key, r.line);
      good.push({ line: r.line, token: r.token, upn: r.upn, userId: null });
    }

    if (insert) {
      // Sealed before waiting for the previous insert, so the two overlap.
      for (const g of good) {
        g.id = randomUUID();
        g.sealed = this.secretBox.seal(g.token.secret, tokenSecretContext(g.id));
      }
    }
    for (const g of good) g.token.secret.fill(0);
    if (state.inFlight) {
      const previous = state.inFlight;
      state.inFlight = null;
      await previous;
    }

    const registered = new Set<string>();
    if (good.length) {
      const { rows: found } = await db.query<{ s: string }>(
        "SELECT lower(serial_number) AS s FROM hardware_tokens WHERE lower(serial_number) = ANY($1::text[])",
        [good.map((g) => g.token.serialNumber.toLowerCase())],
      );
      for (const f of found) registered.add(f.s);
    }
    const users = await this.#resolveUsers(
      db,
      good.filter((g) => g.upn).map((g) => g.upn!),
    );
    const accepted: GoodRow[] = [];
    for (const g of good) {
      if (registered.has(g.token.serialNumber.toLowerCase())) {
        bad.push({
          line: g.line,
          serialNumber: g.token.serialNumber,
          reason: `serial number ${g.token.serialNumber} is already registered`,
        });
        continue;
      }
      if (g.upn) {
        const u = users.get(g.upn.toLowerCase());
        if (!u || "problem" in u) {
          bad.push({ line: g.line, serialNumber: g.token.serialNumber, reason: u?.problem ?? `unknown user ${g.upn}` });
          continue;
        }
        g.userId = u.id;
        report.reserved++;
      }
      accepted.push(g);
    }
    report.good += accepted.length;
    for (const g of accepted) {
      if (report.rows.length >= MAX_LISTED_GOOD_ROWS) break;
      report.rows.push({ line: g.line, serialNumber: g.token.serialNumber, model: g.token.model, reservedFor: g.upn });
    }
    report.badCount += bad.length;
    bad.sort((a, b) => a.line - b.line);
    for (const b of bad) if (report.bad.length < MAX_LISTED_BAD_ROWS) report.bad.push(b);

    if (insert && accepted.length) {
      state.inFlight = this.#insert(db, accepted, insert);
      // Awaited before the next batch's queries or at the end; marked handled so a failure
      // surfaces there, not as an unhandled rejection.
      state.inFlight.catch(() => undefined);
      report.imported += accepted.length;
    }
  }

  /** A `upn` names a user by username, or by e-mail when exactly one account has it. */
  async #resolveUsers(db: Db, upns: string[]): Promise<Map<string, { id: string } | { problem: string }>> {
    const out = new Map<string, { id: string } | { problem: string }>();
    if (upns.length === 0) return out;
    const wanted = [...new Set(upns.map((u) => u.toLowerCase()))];
    const { rows } = await db.query<{ id: string; u: string; e: string | null; username: string; disabled: boolean }>(
      `SELECT id, username, disabled, ${foldSql(sql`username`)} AS u, lower(email) AS e FROM users
        WHERE ${foldSql(sql`username`)} = ANY($1::text[]) OR lower(email) = ANY($1::text[])`,
      [wanted],
    );
    for (const w of wanted) {
      const byName = rows.find((r) => r.u === w);
      // A disabled user cannot sign in to activate a token: reserving one for them is refused.
      const usable = (r: { id: string; username: string; disabled: boolean }) =>
        r.disabled ? { problem: `user ${r.username} is disabled: a token cannot be reserved for them` } : { id: r.id };
      if (byName) {
        out.set(w, usable(byName));
        continue;
      }
      const byEmail = rows.filter((r) => r.e === w);
      if (byEmail.length === 1) out.set(w, usable(byEmail[0]!));
      else if (byEmail.length > 1)
        out.set(w, { problem: `user ${w} is ambiguous: ${byEmail.length} accounts have this e-mail` });
    }
    return out;
  }

  async #insert(db: Db, rows: GoodRow[], insert: { importId: string; actorId: string | null }): Promise<void> {
    const now = this.clock.now();
    await db.query(
      `INSERT INTO hardware_tokens (id, serial_number, name, model, manufacturer, secret_sealed, algorithm, digits,
         period_seconds, reserved_for_user_id, import_id, created_at, created_by)
       SELECT id, serial, name, model, manufacturer, sealed, algorithm, digits, period, reserved, $11, $12, $13
         FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[],
                     $8::smallint[], $9::smallint[], $10::uuid[])
           AS t (id, serial, name, model, manufacturer, sealed, algorithm, digits, period, reserved)`,
      [
        rows.map((g) => g.id),
        rows.map((g) => g.token.serialNumber),
        rows.map((g) => g.token.name),
        rows.map((g) => g.token.model),
        rows.map((g) => g.token.manufacturer),
        rows.map((g) => g.sealed),
        rows.map((g) => g.token.algorithm),
        rows.map((g) => g.token.digits),
        rows.map((g) => g.token.periodInSeconds),
        rows.map((g) => g.userId),
        insert.importId,
        now,
        insert.actorId,
      ],
    );
  }
}
