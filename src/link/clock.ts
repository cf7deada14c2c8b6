/**
 * Time as tab and broker are given it instead of reaching for globals (docs/architecture.md,
 * rule 3): the browser's in the browser, a fake in Node tests.
 */

export type TimerHandle = unknown;

export interface Clock {
  /** Wall-clock ms since epoch: for instants compared with the server's timestamps, never for durations. */
  now(): number;
  /**
   * Monotonic ms from an arbitrary origin (`performance.now()`): for every duration —
   * keep-alive, pacing, windows, liveness. A wall clock set back or forward must not
   * stretch or skip them.
   */
  monotonic(): number;
  setTimeout(callback: () => void, ms: number): TimerHandle;
  clearTimeout(handle: TimerHandle): void;
}

/** The clock a tab is given: durations only, it compares nothing with the server's timestamps. */
export type TabClock = Omit<Clock, 'now'>;
