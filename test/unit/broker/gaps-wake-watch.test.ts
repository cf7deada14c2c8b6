import { describe, expect, it } from 'vitest';
import type { TimerHandle } from '../../../src/link/clock.ts';
import { WakeWatch } from '../../../src/broker/wake-watch.ts';
import { FakeClock } from '../../support/fake-clock.ts';

/** Timers that fire a little before their due time on the monotonic clock, as browsers' may. */
class EarlyClock extends FakeClock {
  override setTimeout(callback: () => void, ms: number): TimerHandle {
    return super.setTimeout(callback, ms - 3);
  }
}

describe('the wake watch', () => {
  it('keeps watching when its timer fires early, and still notices a sleep later', () => {
    const clock = new EarlyClock();
    let wakes = 0;
    const watch = new WakeWatch(clock, () => true, () => wakes++);
    watch.start();
    clock.advance(60_000);
    expect(clock.pending).toBe(1);
    // The lid closed: ten minutes on the wall clock, none on the monotonic one.
    clock.jumpWall(600_000);
    clock.advance(20_000);
    expect(wakes).toBe(1);
  });

  it('keeps looking, without a false wake, when every look comes early', () => {
    const clock = new EarlyClock();
    let wakes = 0;
    const watch = new WakeWatch(clock, () => true, () => wakes++);
    watch.start();
    clock.advance(300_000);
    expect(wakes).toBe(0);
    expect(clock.pending).toBe(1);
  });
});
