/**
 * uvu 0.5 drops an error thrown by a `before` hook: its runner returns from a
 * `finally`, so the suite shows "(0 / N)" without a word. Wrapped hooks print
 * the error (with the child's output that the suites' own errors carry) first.
 */
export function loudHook<T>(hook: (ctx: T) => Promise<void>): (ctx: T) => Promise<void> {
  return async (ctx) => {
    try {
      await hook(ctx);
    } catch (err) {
      console.error(`before hook failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      throw err;
    }
  };
}
