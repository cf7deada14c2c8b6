/**
 * A clock whose time only moves when the test says so. Monotonic time advances
 * with `advance`; `jumpWall` moves only the wall clock (the user set the time),
 * which must stretch or skip no duration.
 */
import type { Clock, TimerHandle } from '../../src/link/clock.ts';

export class FakeClock implements Clock {
  private time: number;
  /** Wall clock minus monotonic time: changed only by `jumpWall`. */
  private wallOffset: number;
  private nextId = 1;
  private readonly timers = new Map<number, { at: number; callback: () => void }>();

  constructor(start = Date.UTC(2025, 10, 3, 14, 30)) {
    this.time = 0;
    this.wallOffset = start;
  }

  now(): number {
    return this.time + this.wallOffset;
  }

  monotonic(): number {
    return this.time;
  }

  /** The wall clock is set forward (positive) or back (negative); timers and monotonic time do not move. */
  jumpWall(ms: number): void {
    this.wallOffset += ms;
  }

  setTimeout(callback: () => void, ms: number): TimerHandle {
    const id = this.nextId++;
    this.timers.set(id, { at: this.time + Math.max(0, ms), callback });
    return id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.timers.delete(handle as number);
  }

  /** Move time forward, firing due timers in order. */
  advance(ms: number): void {
    const end = this.time + ms;
    for (;;) {
      let next: [number, { at: number; callback: () => void }] | undefined;
      for (const entry of this.timers) if (entry[1].at <= end && (!next || entry[1].at < next[1].at)) next = entry;
      if (!next) break;
      this.timers.delete(next[0]);
      this.time = next[1].at;
      next[1].callback();
    }
    this.time = end;
  }

  get pending(): number {
    return this.timers.size;
  }
}
