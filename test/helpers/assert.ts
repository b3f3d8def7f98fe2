import * as assert from "uvu/assert";

/** uvu has no async throws(): awaits the promise and checks it rejected (and how). */
export async function rejects(
  promise: Promise<unknown>,
  expected?: RegExp | ((err: unknown) => boolean),
): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    if (expected instanceof RegExp) assert.match(String((err as Error)?.message ?? err), expected);
    else if (expected) assert.ok(expected(err), `unexpected rejection: ${String(err)}`);
    return err;
  }
  assert.unreachable("expected the promise to reject");
}
