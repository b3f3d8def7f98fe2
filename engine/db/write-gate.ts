import { AsyncLocalStorage } from "node:async_hooks";

/**
 * A gate in front of one embedded database: queries and transactions pass through it side by side
 * (`run`), and `exclusive` waits until none is running, holds new ones back while its function runs
 * (a backup's snapshot: writes paused), then lets them through. A call made from inside a running
 * one (a query issued within a transaction's function) passes at once, so nothing waits on itself.
 */
export class WriteGate {
  readonly #inside = new AsyncLocalStorage<true>();
  #active = 0;
  #waiting = 0;
  #closed: Promise<void> | null = null;
  #drained: (() => void) | null = null;

  /** Runs `fn` when no exclusive section holds the gate. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    if (this.#inside.getStore()) return fn();
    while (this.#closed) {
      this.#waiting++;
      try {
        await this.#closed;
      } finally {
        this.#waiting--;
      }
    }
    this.#active++;
    try {
      return await this.#inside.run(true, fn);
    } finally {
      if (--this.#active === 0) this.#drained?.();
    }
  }

  /** Runs `fn` alone: after every running call has finished, with new ones held until it ends. */
  async exclusive<T>(fn: () => Promise<T>): Promise<T> {
    while (this.#closed) await this.#closed;
    let open!: () => void;
    this.#closed = new Promise<void>((resolve) => (open = resolve));
    try {
      if (this.#active > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
      this.#drained = null;
      return await this.#inside.run(true, fn);
    } finally {
      this.#closed = null;
      open();
    }
  }

  /** Calls running now and calls held back (by an exclusive section). */
  stats(): { active: number; waiting: number } {
    return { active: this.#active, waiting: this.#waiting };
  }
}
