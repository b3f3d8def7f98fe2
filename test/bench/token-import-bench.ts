// Benchmark: import 100,000 hardware tokens from a CSV file (parse, validate, encrypt, insert) on
// PostgreSQL, against a plain COPY of the same rows into the same table.
//
//   TEST_DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres npx tsx test/bench/token-import-bench.ts [ROWS]
//
// The import runs in a child process of its own, so its peak memory (maxRSS) is the importer's
// alone; the file is streamed, never read whole. Not part of `npm test`.
import { spawnSync } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { randomBytes, randomUUID } from "node:crypto";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { from as copyFrom } from "pg-copy-streams";
import { AuditLog } from "../../engine/audit/audit-log.js";
import { systemClock } from "../../engine/clock.js";
import { migrate } from "../../engine/db/migrate.js";
import { openPgDb } from "../../engine/db/pg-db.js";
import { tokenSecretContext } from "../../engine/mfa/hardware/token-registry.js";
import { encodeBase32 } from "../../engine/mfa/hardware/secret-encoding.js";
import { TokenImporter } from "../../engine/mfa/hardware/token-import.js";
import { SecretBox } from "../../engine/mfa/secret-box.js";
import { createDatabase } from "../helpers/db.js";

const KEY = Buffer.alloc(32, 9);

async function writeLines(file: string, lines: Iterable<string>): Promise<void> {
  const out = createWriteStream(file);
  for (const line of lines) if (!out.write(line)) await once(out, "drain");
  out.end();
  await once(out, "finish");
}

function* csvLines(rows: number): Generator<string> {
  yield "upn,serial number,secret key,time interval,manufacturer,model\r\n";
  for (let i = 0; i < rows; i++) {
    yield `,BENCH-${String(i).padStart(7, "0")},${encodeBase32(randomBytes(20))},${i % 10 ? 30 : 60},Acme,"OTP c200, v2"\r\n`;
  }
}

/** The rows as the table stores them (sealed keys included), in COPY text format. */
function* copyLines(rows: number, box: SecretBox): Generator<string> {
  const now = new Date().toISOString();
  for (let i = 0; i < rows; i++) {
    const id = randomUUID();
    const serial = `BENCH-${String(i).padStart(7, "0")}`;
    const sealed = box.seal(randomBytes(20), tokenSecretContext(id));
    yield `${id}\t${serial}\t${serial}\tOTP c200, v2\tAcme\t${sealed}\tSHA1\t6\t${i % 10 ? 30 : 60}\t${now}\n`;
  }
}

async function copyBaseline(url: string, file: string): Promise<number> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  const start = performance.now();
  await client.query("BEGIN");
  await pipeline(
    createReadStream(file),
    client.query(
      copyFrom(
        `COPY hardware_tokens (id, serial_number, name, model, manufacturer, secret_sealed, algorithm, digits,
           period_seconds, created_at) FROM STDIN`,
      ),
    ),
  );
  await client.query("COMMIT");
  const ms = performance.now() - start;
  await client.end();
  return ms;
}

async function truncate(url: string): Promise<void> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query("TRUNCATE hardware_tokens CASCADE");
  await client.query("TRUNCATE audit_log");
  await client.query("VACUUM ANALYZE hardware_tokens");
  await client.end();
}

/** Child mode: the import alone, as `formgate tokens import` runs it. */
async function importChild(url: string, file: string): Promise<void> {
  const db = openPgDb(url);
  const importer = new TokenImporter(db, systemClock, new SecretBox(KEY), new AuditLog(db, systemClock));
  const start = performance.now();
  const report = await importer.commit(createReadStream(file, { highWaterMark: 256 * 1024 }), {
    fileName: "bench.csv",
    actor: { id: null, name: "bench" },
    siteId: null,
    skipBad: false,
  });
  const ms = performance.now() - start;
  await db.close();
  const { maxRSS } = process.resourceUsage();
  console.log(JSON.stringify({ ms, imported: report.imported, maxRssMiB: maxRSS / 1024 }));
}

async function main() {
  if (process.argv[2] === "--child") return importChild(process.argv[3]!, process.argv[4]!);
  const rows = Number(process.argv[2] ?? 100_000);
  const dir = mkdtempSync(join(tmpdir(), "formgate-bench-"));
  const database = await createDatabase();
  try {
    const db = openPgDb(database.url);
    await migrate(db);
    await db.close();
    const csv = join(dir, "tokens.csv");
    const copy = join(dir, "tokens.copy");
    await writeLines(csv, csvLines(rows));
    await writeLines(copy, copyLines(rows, new SecretBox(KEY)));
    console.log(
      `${rows} tokens: CSV ${(statSync(csv).size / 2 ** 20).toFixed(1)} MiB, COPY file ${(statSync(copy).size / 2 ** 20).toFixed(1)} MiB`,
    );

    const copyRuns: number[] = [];
    const importRuns: { ms: number; maxRssMiB: number }[] = [];
    for (let round = 0; round < 2; round++) {
      await truncate(database.url);
      copyRuns.push(await copyBaseline(database.url, copy));
      await truncate(database.url);
      const child = spawnSync(
        process.execPath,
        ["--import", "tsx", fileURLToPath(import.meta.url), "--child", database.url, csv],
        { encoding: "utf8", maxBuffer: 16 * 2 ** 20 },
      );
      if (child.status !== 0) throw new Error(`import failed: ${child.stderr}`);
      const r = JSON.parse(child.stdout.trim().split("\n").at(-1)!) as {
        ms: number;
        imported: number;
        maxRssMiB: number;
      };
      if (r.imported !== rows) throw new Error(`imported ${r.imported} of ${rows}`);
      importRuns.push(r);
      console.log(
        `round ${round + 1}: COPY ${(copyRuns[round]! / 1000).toFixed(2)} s, import ${(r.ms / 1000).toFixed(2)} s, import peak RSS ${r.maxRssMiB.toFixed(0)} MiB`,
      );
    }
    const copyMs = Math.min(...copyRuns);
    const best = importRuns.reduce((a, b) => (a.ms <= b.ms ? a : b));
    const peak = Math.max(...importRuns.map((r) => r.maxRssMiB));
    console.log(
      `\nbest of 2: COPY ${(copyMs / 1000).toFixed(2)} s, import ${(best.ms / 1000).toFixed(2)} s ` +
        `(${Math.round((rows / best.ms) * 1000)} tokens/s), ratio ${(best.ms / copyMs).toFixed(2)}× COPY, ` +
        `peak RSS of the importing process ${peak.toFixed(0)} MiB`,
    );
  } finally {
    await database.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
