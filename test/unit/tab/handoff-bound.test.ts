/** The handoff's identities stay bounded, however many replays a long-lived tab gets after one change of broker. */
import { describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../../src/link/events.ts';
import { createHandoff } from '../../../src/tab/handoff.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const start = Date.UTC(2025, 10, 3);
const at = (ms: number, id: string): RealtimeEvent => ({ type: 'goal.created', timestamp: new Date(start + ms).toISOString(), data: { goalId: id } }) as RealtimeEvent;

describe('the handoff', () => {
  it('holds a bounded number of identities after many replays, and still drops a repeat of what it just delivered', () => {
    const clock = new FakeClock();
    const handoff = createHandoff(clock, 100);
    handoff.brokerChanged();
    // Past the live-repeat window (its identities are bounded by its 5 s).
    clock.advance(6_000);
    for (let i = 0; i < 5_000; i++) {
      const event = at(i, `r${i}`);
      if (!handoff.repeat(event, true)) handoff.delivered(JSON.stringify([event]), 1);
    }
    expect(handoff.held()).toBeLessThanOrEqual(4 * 100);
    expect(handoff.repeat(at(4_999, 'r4999'), true)).toBe(true);
    expect(handoff.repeat(at(5_000, 'new'), true)).toBe(false);
  });
});
