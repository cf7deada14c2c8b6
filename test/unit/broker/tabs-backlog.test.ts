/** A tab's backlog on its stream: bounded once it acknowledges, told once when it reads again. */
import { describe, expect, it } from 'vitest';
import { TabBacklog } from '../../../src/broker/tab-backlog.ts';

const first = () => '2025-11-03T14:30:00.000Z';

describe('a tab that stops reading', () => {
  it('is posted at most `bound` unacknowledged batches, then nothing until it acknowledges, and told once', () => {
    const backlog = new TabBacklog(4, 1000);
    expect(backlog.acked(0, 'x', 0)).toBeUndefined();
    // Silent past the stall time: what it has not read is bounded.
    const admitted = Array.from({ length: 10 }, () => backlog.admit(first, 2000));
    expect(admitted.filter(Boolean)).toHaveLength(4);
    expect(backlog.behind).toBe(true);
    expect(backlog.acked(2, '2025-11-03T14:31:00.000Z', 2000)).toEqual({ since: first(), until: '2025-11-03T14:31:00.000Z', reason: 'slow-tab', replayed: 0, complete: false });
    expect(backlog.behind).toBe(false);
    expect([backlog.admit(first, 4000), backlog.admit(first, 4000), backlog.admit(first, 4000)]).toEqual([true, true, false]);
    expect(backlog.acked(4, 'y', 4000)).toMatchObject({ complete: false });
    expect(backlog.acked(4, 'z', 4000)).toBeUndefined();
  });

  it('does not bound a tab that never acknowledged (a client without acknowledgements)', () => {
    const backlog = new TabBacklog(4, 1000);
    expect(Array.from({ length: 100 }, () => backlog.admit(first, 5000)).every(Boolean)).toBe(true);
  });

  it('keeps posting to a tab that is behind but still acknowledging, up to the hard bound', () => {
    const backlog = new TabBacklog(4, 1000);
    backlog.acked(0, 'x', 0);
    const admitted = Array.from({ length: 40 }, (_, i) => backlog.admit(first, i));
    // Acknowledged at 0 ms and every post within the stall time: only the hard bound (16 × 4) stops it, not reached.
    expect(admitted.every(Boolean)).toBe(true);
    expect(Array.from({ length: 30 }, () => backlog.admit(first, 50)).filter(Boolean)).toHaveLength(24);
  });
});

