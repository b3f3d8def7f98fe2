/** The only source of "now" in the engine, so tests can move time. */
export interface Clock {
  now(): Date;
}

/** The real clock (wall time); tests inject their own Clock instead. */
export const systemClock: Clock = { now: () => new Date() };

/** A clock that stands still until told to move; for tests and the CLI's dry runs. */
export class ManualClock implements Clock {
  #ms: number;
  constructor(start: Date | string | number = "2026-01-05T09:00:00Z") {
    this.#ms = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.#ms);
  }
  advanceSeconds(seconds: number): void {
    this.#ms += seconds * 1000;
  }
  advanceDays(days: number): void {
    this.advanceSeconds(days * 86_400);
  }
  set(to: Date | string | number): void {
    this.#ms = new Date(to).getTime();
  }
}
