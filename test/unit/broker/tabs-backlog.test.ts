/** A tab's backlog on its stream: bounded once it acknowledges, told once when it reads again. */
import { describe, expect, it } from 'vitest';
import { TabBacklog } from '../../../src/broker/tab-backlog.ts';

const first = () => '2025-11-03T14:30:00.000Z';

describe('a tab that stops reading', () => {
  it('is posted at most `bound` unacknowledged batches, then nothing until it acknowledges, and told once', () => {
    const backlog = new TabBacklog(4);
    expect(backlog.acked(0, 'x')).toBeUndefined();
    const admitted = Array.from({ length: 10 }, () => backlog.admit(first));
    expect(admitted.filter(Boolean)).toHaveLength(4);
    expect(backlog.behind).toBe(true);
    expect(backlog.acked(2, '2025-11-03T14:31:00.000Z')).toEqual({ since: first(), until: '2025-11-03T14:31:00.000Z', reason: 'slow-tab', replayed: 0, complete: false });
    expect(backlog.behind).toBe(false);
    expect([backlog.admit(first), backlog.admit(first), backlog.admit(first)]).toEqual([true, true, false]);
    expect(backlog.acked(4, 'y')).toMatchObject({ complete: false });
    expect(backlog.acked(4, 'z')).toBeUndefined();
  });

  it('does not bound a tab that never acknowledged (a client without acknowledgements)', () => {
    const backlog = new TabBacklog(4);
    expect(Array.from({ length: 100 }, () => backlog.admit(first)).every(Boolean)).toBe(true);
  });
});
