// Find token by code (engine/mfa/hardware/token-registry.ts, HardwareTokens.findByCode): every key of
// the registry is opened and checked, in slices that let other requests run between them.
import type { Db } from "../../db/db.js";
import { matchTotpStep, normaliseCode, totpStep, type TotpParams } from "../totp.js";
import type { CodeMatch, HardwareToken } from "./token-registry.js";

/**
 * The longest synchronous stretch of findByCode, in milliseconds: it opens keys and computes codes
 * for this long, then lets other requests run (20,000 tokens are about 5 s of work in all).
 */
export const FIND_SLICE_MS = 10;

/** Tokens findByCode reads per query (on PGlite a query runs on the event loop too: keep it short). */
const FIND_BATCH = 100;

/** What findByCode reads of a token to check a code. */
interface KeyRow {
  id: string;
  serial_number: string;
  secret_sealed: string;
  algorithm: TotpParams["algorithm"];
  digits: number;
  period_seconds: number;
}

/** Lets pending I/O and timers run (setImmediate runs after the poll phase), then resumes. */
const yieldToEventLoop = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The tokens that show `code` within ±window steps of `now`, the exact matches first, then by how
 * far their clock is off (serial-number order within one offset); `openKey` opens a sealed key,
 * `byId` reads a match whole.
 */
export async function findByCode(
  deps: { db: Db; openKey: (sealed: string, tokenId: string) => Buffer; now: Date; elapsedMs: () => number },
  code: string,
  window: number,
  byId: (id: string) => Promise<HardwareToken | null>,
): Promise<CodeMatch[]> {
  const digits = normaliseCode(code);
  if (digits === null) return [];
  const now = deps.now;
  const found: { id: string; offsetSteps: number }[] = [];
  let after = "";
  let sliceStart: number;
  for (;;) {
    // Only what a code check needs, without the joins: the few matches are read whole at the end.
    const { rows } = await deps.db.query<KeyRow>(
      `SELECT id, serial_number, secret_sealed, algorithm, digits, period_seconds FROM hardware_tokens
       WHERE digits = $1 AND lower(serial_number) > $2 ORDER BY lower(serial_number) LIMIT ${FIND_BATCH}`,
      [digits.length, after],
    );
    sliceStart = deps.elapsedMs();
    for (const r of rows) {
      if (deps.elapsedMs() - sliceStart >= FIND_SLICE_MS) {
        await yieldToEventLoop();
        sliceStart = deps.elapsedMs();
      }
      const secret = deps.openKey(r.secret_sealed, r.id);
      const params: TotpParams = {
        secret,
        algorithm: r.algorithm,
        digits: r.digits as 6 | 8,
        periodInSeconds: r.period_seconds,
      };
      const step = matchTotpStep(params, digits, now, { window });
      secret.fill(0);
      if (step !== null) found.push({ id: r.id, offsetSteps: step - totpStep(now, r.period_seconds) });
    }
    if (rows.length < FIND_BATCH) break;
    after = rows.at(-1)!.serial_number.toLowerCase();
    await yieldToEventLoop();
  }
  const matches: CodeMatch[] = [];
  for (const { id, offsetSteps } of found) {
    const token = await byId(id);
    if (token) matches.push({ token, offsetSteps });
  }
  // Stable: within the same offset the serial-number order stays.
  return matches.sort((a, b) => Math.abs(a.offsetSteps) - Math.abs(b.offsetSteps) || a.offsetSteps - b.offsetSteps);
}
