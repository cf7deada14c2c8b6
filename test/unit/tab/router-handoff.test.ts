/**
 * After a change of broker the next one may replay what this tab already has (what the one
 * before relayed but had not written), however late and however much: the tab drops every
 * replayed event it has by identity, never one it lacks, and resumes from the newest, not the
 * last delivered.
 */
import { describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../../src/link/events.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const start = Date.UTC(2025, 10, 3);
const at = (ms: number, id: string): RealtimeEvent => ({ type: 'goal.created', timestamp: new Date(start + ms).toISOString(), data: { goalId: id } }) as RealtimeEvent;

function world() {
  const clock = new FakeClock();
  const router = createRouter(clock, () => {}, () => false);
  const got: string[] = [];
  router.add('*', (event) => void got.push(`${String((event.data as { goalId: string }).goalId)}${event.replayed ? '*' : ''}`));
  return { clock, router, got };
}

describe('router: a replay after a change of broker', () => {
  it('drops what this tab has, more than 64 events and more than 5 s later', () => {
    const { clock, router, got } = world();
    const delivered = Array.from({ length: 200 }, (_, i) => at(i * 10, `e${i}`));
    router.deliver(delivered, false);
    router.openDedupeWindow();
    clock.advance(60_000);
    router.deliver(delivered.map((event) => ({ ...event })), true);
    expect(got).toHaveLength(200);
    router.deliver([at(2000, 'later')], true);
    expect(got.at(-1)).toBe('later*');
  });

  it('lets through a replayed event it does not have, whatever its time, even after one stamped far ahead', () => {
    const { clock, router, got } = world();
    // A frame stamped ahead of the server's clock is relayed all the same: it must not hide what comes after.
    router.deliver([at(0, 'a'), at(10_000, 'b'), at(1e12, 'skewed-ahead')], false);
    router.openDedupeWindow();
    clock.advance(10_000);
    router.deliver([at(9_500, 'missed-while-no-broker'), { ...at(10_000, 'b') }, at(20_000, 'missed-later')], true);
    expect(got).toEqual(['a', 'b', 'skewed-ahead', 'missed-while-no-broker*', 'missed-later*']);
    router.deliver([at(3_000, 'live-out-of-order')], false);
    expect(got.at(-1)).toBe('live-out-of-order');
    // A second replay of the same, later still: dropped too.
    clock.advance(60_000);
    router.deliver([at(9_500, 'missed-while-no-broker'), at(0, 'a')], true);
    expect(got.at(-1)).toBe('live-out-of-order');
  });

  it('resumes from the newest event delivered, not the last', () => {
    const { router } = world();
    router.deliver([at(10_000, 'newest'), at(5_000, 'last')], false);
    expect(router.lastTimestamp()).toBe(at(10_000, 'newest').timestamp);
  });
});
