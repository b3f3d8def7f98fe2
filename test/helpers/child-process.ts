import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";

const root = fileURLToPath(new URL("../../", import.meta.url));

/**
 * A child process whose output is read line by line, so a test can act at a
 * point it names ("after the 37th batch insert") instead of after a delay.
 * Every wait has a deadline (for a hang, so generous enough for a busy machine) and fails with the
 * child's output.
 */
export class WatchedChild {
  readonly output: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #listeners = new Set<(line: string) => boolean>();
  /** How many lines of `output` the waits have looked at. */
  #cursor = 0;
  #proc: ChildProcess;
  #done = false;

  constructor(args: string[], env: Record<string, string>) {
    this.#proc = spawn(process.execPath, args, {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Both streams: the CLI logs to stderr. Lines keep their order within a stream, not across the two.
    for (const stream of [this.#proc.stdout!, this.#proc.stderr!]) {
      createInterface({ input: stream }).on("line", (line) => {
        this.output.push(line);
        for (const l of this.#listeners) l(line);
      });
    }
    this.exited = new Promise((resolve) =>
      this.#proc.on("exit", (code, signal) => {
        this.#done = true;
        resolve({ code, signal });
      }),
    );
  }

  /** The last lines the child wrote, for a failure message. */
  tail(n = 30): string {
    return this.output.slice(-n).join("\n");
  }

  /**
   * Resolves with the first line after the one the previous wait matched (lines
   * that arrived meanwhile count too) for which `test` returns true. Rejects,
   * and kills the child, when it exits first or after `timeoutMs`.
   */
  waitFor(what: string, test: (line: string) => boolean, timeoutMs = 300_000): Promise<string> {
    return new Promise((resolve, reject) => {
      const fail = (why: string) => {
        cleanup();
        void this.kill();
        reject(new Error(`${why} while waiting for ${what}; the child wrote:\n${this.tail()}`));
      };
      const listener = (line: string) => {
        this.#cursor++;
        if (!test(line)) return false;
        cleanup();
        resolve(line);
        return true;
      };
      const timer = setTimeout(() => fail(`no answer in ${timeoutMs / 1000} s`), timeoutMs);
      const onExit = () => setImmediate(() => fail("the child exited")); // after the last lines are read
      const cleanup = () => {
        clearTimeout(timer);
        this.#listeners.delete(listener);
        this.#proc.off("exit", onExit);
      };
      while (this.#cursor < this.output.length) if (listener(this.output[this.#cursor]!)) return;
      this.#listeners.add(listener);
      if (this.#done) onExit();
      else this.#proc.on("exit", onExit);
    });
  }

  /** SIGTERM, as at a normal shutdown; SIGKILL if the child is still there after `graceMs`. */
  async stop(graceMs = 10_000): Promise<void> {
    if (this.#done) return;
    this.#proc.kill("SIGTERM");
    const timer = setTimeout(() => this.#proc.kill("SIGKILL"), graceMs);
    await this.exited;
    clearTimeout(timer);
  }

  /** SIGKILL: no handler runs, no transaction is finished, nothing is flushed. */
  async kill(): Promise<void> {
    if (!this.#done) this.#proc.kill("SIGKILL");
    await this.exited;
  }
}

/** A random whole number from `min` to `max` inclusive. */
export const randomBetween = (min: number, max: number) => min + Math.floor(Math.random() * (max - min + 1));
