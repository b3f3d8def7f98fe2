import { setFlagsFromString } from "node:v8";

/**
 * V8's budget of work (roughly bytes of WebAssembly executed) after which a function compiled by
 * its baseline compiler (Liftoff) is recompiled by TurboFan; V8's default is 1,800,000.
 */
export const WASM_TIERING_BUDGET = 1_000_000_000;

let deferred = false;

/**
 * Raises V8's WebAssembly tier-up budget for the WebAssembly instances made after this call (each
 * instance takes its functions' budgets when it is made), once per process.
 *
 * Why: with the default budget, starting PostgreSQL inside PGlite and the server's first
 * statements send hundreds of functions to TurboFan, which costs about 0.5 s of CPU on background
 * threads during the start (on a 2-core machine, time taken from the main thread and from other
 * processes) for functions most of which never run again. With the budget ~500× larger, the start
 * runs on Liftoff code alone and only the functions that keep running once the server serves
 * reach TurboFan: in a loop of statements the main thread's CPU per statement matches the
 * default's after 5,000–9,000 statements, and the process spends less in all (docs/performance.md,
 * start-up, fourth pass). `--liftoff-only` would start as fast but leaves every statement ~20%
 * slower for good.
 *
 * The budget is read when an instance is made and when a function's budget runs out, so changing
 * it at run time is safe; it applies to every WebAssembly module of the process (PGlite's are the
 * only ones).
 */
export function deferWasmTierUp(): void {
  if (deferred) return;
  deferred = true;
  setFlagsFromString(`--wasm-tiering-budget=${WASM_TIERING_BUDGET}`);
}
