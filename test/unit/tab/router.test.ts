import { describe, expect, it } from 'vitest';
import { createRouter } from '../../../src/tab/router.ts';
import type { RealtimeEvent } from '../../../src/link/events.ts';
import { FakeClock } from '../../support/fake-clock.ts';

let seconds = 0;
const event = (type: string, data: unknown = { n: seconds }): RealtimeEvent =>
  ({ type, timestamp: new Date(Date.UTC(2025, 10, 3) + 1000 * seconds++).toISOString(), data }) as RealtimeEvent;

function world() {
  const clock = new FakeClock();
  const reported: unknown[] = [];
  const state = { loggedOut: false };
  const router = createRouter(clock, (error) => reported.push(error), () => state.loggedOut);
  /** Subscribes a handler that records the types it got; returns them and the function that removes it. */
  const record = (pattern: string) => {
    const got: string[] = [];
    const handler = (e: RealtimeEvent) => void got.push(e.type);
    const added = router.add(pattern, handler);
    return { got, added, remove: () => router.remove(pattern, handler) };
  };
  return { clock, reported, state, router, record };
}

describe('router: events to handlers by pattern', () => {
  it('routes by exact type, prefix and *, in subscription order', () => {
    const { router } = world();
    const order: string[] = [];
    router.add('goal.*', (e) => order.push(`prefix ${e.type}`));
    router.add('*', (e) => order.push(`all ${e.type}`));
    router.add('goal.created', (e) => order.push(`exact ${e.type}`));
    router.deliver([event('goal.created'), event('task.done')], false);
    expect(order).toEqual(['prefix goal.created', 'all goal.created', 'exact goal.created', 'all task.done']);
  });

  it('sends control types only to their exact pattern, never to * or a prefix', () => {
    const { router, record } = world();
    const all = record('*');
    const auth = record('auth.*');
    const exact = record('auth.ok');
    router.deliver([event('auth.ok'), event('ping'), event('goal.error')], false);
    expect(all.got).toEqual([]);
    expect(auth.got).toEqual([]);
    expect(exact.got).toEqual(['auth.ok']);
  });

  it('marks replayed events, and only those', () => {
    const { router } = world();
    const seen: Array<boolean | undefined> = [];
    router.add('*', (e) => seen.push(e.replayed));
    router.deliver([event('a')], false);
    router.deliver([event('b')], true);
    expect(seen).toEqual([undefined, true]);
  });

  it('tells whether a pattern is new, and whether its last handler left', () => {
    const { router, record } = world();
    const first = record('goal.*');
    const second = record('goal.*');
    expect([first.added, second.added]).toEqual([true, false]);
    expect(first.remove()).toBe(false);
    expect(router.has('goal.*')).toBe(true);
    expect(second.remove()).toBe(true);
    expect(second.remove()).toBe(false);
    expect([...router.patterns()]).toEqual([]);
  });

  it('reports a handler that throws, and still calls the others', () => {
    const { router, reported, record } = world();
    const boom = new Error('app bug');
    router.add('*', () => {
      throw boom;
    });
    const other = record('*');
    const exact = record('a');
    router.deliver([event('a')], false);
    expect(reported).toEqual([boom]);
    expect(other.got).toEqual(['a']);
    expect(exact.got).toEqual(['a']);
  });

  it('delivers nothing once logged out, and forgets what it delivered', () => {
    const { router, state, record } = world();
    const all = record('*');
    router.deliver([event('a')], false);
    state.loggedOut = true;
    router.deliver([event('b')], false);
    expect(all.got).toEqual(['a']);
    router.forgetDelivered();
    expect(router.lastTimestamp()).toBeUndefined();
  });

  it('calls no handler after clear()', () => {
    const { router, record } = world();
    const all = record('*');
    router.deliver([event('a')], false);
    router.clear();
    router.deliver([event('a')], false);
    expect(all.got).toEqual(['a']);
  });
});

describe('router: the handlers of a type are cached until a pattern comes or goes', () => {
  it('reaches a pattern subscribed after an event of that type was routed', () => {
    const { router, record } = world();
    const prefix = record('goal.*');
    router.deliver([event('goal.created')], false);
    const exact = record('goal.created');
    const all = record('*');
    router.deliver([event('goal.created')], false);
    expect(prefix.got).toEqual(['goal.created', 'goal.created']);
    expect(exact.got).toEqual(['goal.created']);
    expect(all.got).toEqual(['goal.created']);
  });

  it('no longer reaches a pattern dropped after an event of that type was routed', () => {
    const { router, record } = world();
    const exact = record('goal.created');
    const all = record('*');
    router.deliver([event('goal.created')], false);
    exact.remove();
    router.deliver([event('goal.created')], false);
    expect(exact.got).toEqual(['goal.created']);
    expect(all.got).toEqual(['goal.created', 'goal.created']);
  });

  it('reaches a pattern resubscribed with a new handler', () => {
    const { router, record } = world();
    const first = record('a');
    router.deliver([event('a')], false);
    first.remove();
    const second = record('a');
    router.deliver([event('a')], false);
    expect(first.got).toEqual(['a']);
    expect(second.got).toEqual(['a']);
  });

  it('skips a pattern a handler dropped during the delivery, and calls one it subscribed, last (as walking the live map did)', () => {
    const { router, record } = world();
    let late: ReturnType<typeof record> | undefined;
    router.add('a', () => {
      if (late) return;
      dropped.remove();
      late = record('*');
    });
    const dropped = record('*');
    router.deliver([event('a')], false);
    expect(dropped.got).toEqual([]);
    expect(late?.got).toEqual(['a']);
  });

  it('stops at once when a handler closes the tab (clear) during a delivery', () => {
    const { router, record } = world();
    router.add('a', () => router.clear());
    const after = record('*');
    router.deliver([event('a'), event('a')], false);
    expect(after.got).toEqual([]);
  });
});

describe('router: the handoff window', () => {
  it('drops repeats of the last delivered events for 5 s on the monotonic clock, then lets them through', () => {
    const { clock, router, record } = world();
    const all = record('*');
    const a = event('a');
    const b = event('b');
    router.deliver([a, b], false);
    router.openDedupeWindow();
    clock.jumpWall(-60_000);
    router.deliver([{ ...a }, event('c'), { ...b }], false);
    expect(all.got).toEqual(['a', 'b', 'c']);
    clock.advance(4999);
    router.deliver([{ ...a }], false);
    expect(all.got).toEqual(['a', 'b', 'c']);
    clock.advance(1);
    router.deliver([{ ...a }], false);
    expect(all.got).toEqual(['a', 'b', 'c', 'a']);
  });

  it('drops an event both brokers deliver inside the window, and remembers only the last 1024 (the default)', () => {
    const { router, record } = world();
    const all = record('*');
    const old = event('old');
    router.deliver([old, ...Array.from({ length: 1024 }, () => event('x'))], false);
    router.openDedupeWindow();
    const fresh = event('fresh');
    router.deliver([fresh, { ...fresh }, { ...old }], false);
    expect(all.got.filter((type) => type !== 'x')).toEqual(['old', 'fresh', 'old']);
  });

  it("gives the newest delivered event's server time to resume from", () => {
    const { router } = world();
    expect(router.lastTimestamp()).toBeUndefined();
    const a = event('a');
    const b = event('b');
    router.deliver([a, b], false);
    expect(router.lastTimestamp()).toBe(b.timestamp);
  });
});
