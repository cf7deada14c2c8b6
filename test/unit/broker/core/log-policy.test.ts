import { describe, expect, it } from 'vitest';
import { RecentKeys, advanceLastSeen, ageCutoff, excessByCount } from '../../../../src/broker/core/log-policy.ts';
import { eventKey, fnv1a } from '../../../../src/link/event-identity.ts';

const envelope = (data: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'goal.created',
  timestamp: '2025-11-03T14:30:00.000Z',
  data,
  ...extra,
});

describe('event keys', () => {
  it('uses eventId when the server sends one (older drafts)', () => {
    expect(eventKey(envelope({ goalId: 'g1' }, { eventId: 'e-1' }))).toBe('id:e-1');
  });

  it('tells apart two events of the same type in the same millisecond', () => {
    expect(eventKey(envelope({ goalId: 'g1' }))).not.toBe(eventKey(envelope({ goalId: 'g2' })));
  });

  it('recognises the same event when it comes back through REST', () => {
    const live = envelope({ goalId: 'g1', title: 'x' });
    const replayed = JSON.parse(JSON.stringify(live));
    expect(eventKey(replayed)).toBe(eventKey(live));
  });

  it('recognises it when the REST side orders keys or writes the instant differently', () => {
    const live = envelope({ goalId: 'g1', title: 'x', meta: { a: 1, b: [{ y: 2, x: 1 }] } });
    const replayed = { ...live, timestamp: '2025-11-03T14:30:00Z', data: { meta: { b: [{ x: 1, y: 2 }], a: 1 }, title: 'x', goalId: 'g1' } };
    expect(eventKey(replayed)).toBe(eventKey(live));
    // Array order is content, not spelling.
    expect(eventKey({ ...live, data: { ...live.data, meta: { a: 1, b: [{ x: 1 }, { y: 2 }] } } })).not.toBe(eventKey(live));
  });

  it('hashes with FNV-1a', () => {
    expect(fnv1a('')).toBe('811c9dc5');
    expect(fnv1a('a')).toBe('e40c292c');
  });
});

describe('last-seen', () => {
  it('moves forward with newer events and collects keys sharing the newest instant', () => {
    let seen = advanceLastSeen(null, 100, 'a');
    seen = advanceLastSeen(seen, 100, 'b');
    seen = advanceLastSeen(seen, 100, 'b');
    expect(seen).toEqual({ at: 100, keys: ['a', 'b'] });
    seen = advanceLastSeen(seen, 99, 'late');
    expect(seen).toEqual({ at: 100, keys: ['a', 'b'] });
    seen = advanceLastSeen(seen, 101, 'c');
    expect(seen).toEqual({ at: 101, keys: ['c'] });
  });

  it('keeps a bounded number of keys per instant', () => {
    let seen = advanceLastSeen(null, 5, 'k0');
    for (let i = 1; i < 200; i++) seen = advanceLastSeen(seen, 5, `k${i}`);
    expect(seen?.keys.length).toBe(64);
    expect(seen?.keys.at(-1)).toBe('k199');
  });
});

describe('bounds', () => {
  it('computes what to trim by count and by age', () => {
    expect(excessByCount(499, { maxEvents: 500, maxAgeMs: 1 })).toBe(0);
    expect(excessByCount(510, { maxEvents: 500, maxAgeMs: 1 })).toBe(10);
    expect(ageCutoff(10_000, { maxEvents: 1, maxAgeMs: 3000 })).toBe(7000);
  });

  it('remembers a bounded window of keys, forgetting the oldest first', () => {
    const keys = new RecentKeys(3);
    expect(keys.add('a')).toBe(true);
    expect(keys.add('a')).toBe(false);
    keys.add('b');
    keys.add('c');
    keys.add('d');
    expect(keys.size).toBe(3);
    expect(keys.has('a')).toBe(false);
    expect(keys.has('d')).toBe(true);
  });
});
