/**
 * The handoff compares a replay against what the tab was sent, not against the event objects its
 * handlers were given: an app may change those (add a field, delete one, normalise a value), and a
 * replay of the same event must still be recognised and dropped.
 */
import { describe, expect, it } from 'vitest';
import type { RealtimeEvent } from '../../../src/link/events.ts';
import { createRouter } from '../../../src/tab/router.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const start = Date.UTC(2025, 10, 3);
const event = (ms: number, id: string): RealtimeEvent =>
  ({ type: 'goal.created', timestamp: new Date(start + ms).toISOString(), data: { goalId: id, title: `Goal ${id}` } }) as RealtimeEvent;

describe('handoff: what the tab was sent, whatever its handlers did', () => {
  it('drops a replay of events whose objects a handler changed', () => {
    const clock = new FakeClock();
    const router = createRouter(clock, () => {}, () => false);
    const got: string[] = [];
    router.add('goal.created', (e) => {
      const data = e.data as { goalId: string; title?: string; seenAt?: number };
      got.push(`${data.goalId}${e.replayed ? '*' : ''}`);
      // What apps do with the objects they get: annotate them, strip what they do not keep.
      data.seenAt = 1;
      delete data.title;
    });
    const sent = [event(0, 'a'), event(10, 'b'), event(20, 'c')];
    const text = JSON.stringify(sent);
    router.deliver(JSON.parse(text) as RealtimeEvent[], false, text);
    router.openDedupeWindow();
    clock.advance(60_000);
    router.deliver(JSON.parse(text) as RealtimeEvent[], true);
    expect(got).toEqual(['a', 'b', 'c']);
  });

  it('drops it as well when the batch came without its text', () => {
    const clock = new FakeClock();
    const router = createRouter(clock, () => {}, () => false);
    const got: string[] = [];
    router.add('*', (e) => {
      got.push((e.data as { goalId: string }).goalId);
      (e.data as { goalId: string }).goalId += ' (seen)';
    });
    router.deliver([event(0, 'a'), event(10, 'b')], false);
    router.openDedupeWindow();
    clock.advance(60_000);
    router.deliver([event(0, 'a'), event(10, 'b'), event(20, 'new')], true);
    expect(got).toEqual(['a', 'b', 'new']);
  });
});
