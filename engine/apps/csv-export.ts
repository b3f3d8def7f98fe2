import type { CompiledApp } from "./compiled-app.js";
import type {
  Cursor,
  ExportColumns,
  ListQuery,
  RecordStore,
  StoreContext,
  StoredRecord,
} from "./record-store-contract.js";
import { plainText } from "../util/plain-text.js";

const BATCH = 1000;

/**
 * One CSV field (RFC 4180). A cell that a spreadsheet would run as a formula
 * (=, +, -, @, tab, CR) is prefixed with a quote (OWASP "CSV injection").
 */
export function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/**
 * One CSV record (RFC 4180): the fields quoted where needed and guarded against formula injection
 * by csvField, ended by CRLF.
 */
export const csvLine = (fields: string[]) => `${fields.map(csvField).join(",")}\r\n`;

function cellText(value: unknown): string {
  if (value === undefined || value === null) return "";
  if (Array.isArray(value)) return value.map(cellText).join("; ");
  return plainText(value);
}

/**
 * The list as CSV: the id and every listed column, for all rows that match
 * the search, in the list's order. Reads the store in keyset batches, so
 * memory stays flat whatever the number of records.
 */
export async function* exportCsv(
  app: CompiledApp,
  store: RecordStore,
  ctx: StoreContext,
  query: Pick<ListQuery, "q" | "sort" | "mfa">,
  cell?: (row: StoredRecord, column: string) => string | undefined,
  extra: ExportColumns | null = store.exportColumns?.(app, ctx) ?? null,
): AsyncGenerator<string> {
  const columns = app.list.columns;
  yield `\uFEFF${csvLine(["id", ...columns.map((c) => c.label), ...(extra?.labels ?? [])])}`;
  let after: Cursor | undefined;
  for (;;) {
    const page = await store.list(app, ctx, { ...query, limit: BATCH, ...(after ? { after } : {}) });
    let chunk = "";
    const extraCells = extra ? await extra.cells(page.rows) : [];
    for (const [i, row] of page.rows.entries()) {
      chunk += csvLine([
        row.id,
        ...columns.map((c) => cell?.(row, c.name) ?? badgeText(row, c.name) ?? cellText(row.values[c.name])),
        ...(extraCells[i] ?? []),
      ]);
    }
    if (chunk) yield chunk;
    if (!page.next) return;
    after = page.next;
  }
}

/** A computed field's badges as text ("Pending — due 9 December 2026, 17:32 (UTC) · Locked"), as the list shows them. */
const badgeText = (row: StoredRecord, column: string) => row.badges?.[column]?.map((b) => b.text).join(" · ");

/** A streaming response body from an async generator of text. */
export function textStream(chunks: AsyncGenerator<string>): ReadableStream<Uint8Array> {
  const encoder = new TextEncoder();
  return new ReadableStream({
    async pull(controller) {
      const next = await chunks.next();
      if (next.done) controller.close();
      else controller.enqueue(encoder.encode(next.value));
    },
    async cancel() {
      await chunks.return(undefined);
    },
  });
}
