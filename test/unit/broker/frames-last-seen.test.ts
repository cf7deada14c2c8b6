/** Last-seen never takes a value that is not a finite instant: not when advanced, stored or loaded. */
import { describe, expect, it } from 'vitest';
import { advanceLastSeen } from '../../../src/broker/core/log-policy.ts';
import { EventLog } from '../../../src/broker/event-log.ts';
import { MemoryEventStore } from '../../../src/broker/memory-store.ts';
import type { LastSeen } from '../../../src/broker/core/log-policy.ts';
import { systemClock } from '../../../src/broker/ports.ts';

const policy = { maxEvents: 100, maxAgeMs: 86_400_000 };

describe('advanceLastSeen', () => {
  it.each([Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY])('refuses %s, with or without a last-seen', (at) => {
    const seen: LastSeen = { at: 1000, keys: ['a'] };
    expect(advanceLastSeen(seen, at, 'b')).toBe(seen);
    expect(advanceLastSeen(null, at, 'b')).toBeNull();
  });
});

describe('EventLog', () => {
  function logOver(stored: LastSeen | null) {
    const store = new MemoryEventStore(policy);
    const writes: Array<LastSeen | null> = [];
    const append = store.append.bind(store);
    store.append = (events, lastSeen, now) => {
      writes.push(lastSeen);
      return append(events, lastSeen, now);
    };
    if (stored) void store.append([], stored, 0);
    writes.length = 0;
    const log = new EventLog({ policy, enabled: true, openStore: async () => store, clock: systemClock, onDegraded: () => {} });
    return { log, writes };
  }

  it('does not adopt a stored last-seen that is not a finite instant, nor a floor that is not one', async () => {
    const { log } = logOver({ at: Number.NaN, keys: ['x'], floor: Number.NaN });
    await log.open('ns');
    expect(log.lastSeen).toBeNull();
    log.append({ key: 'k', at: 2000, envelope: { type: 't', timestamp: new Date(2000).toISOString(), data: {} } });
    expect(log.lastSeen).toEqual({ at: 2000, keys: ['k'] });
  });

  it('never stores a last-seen that is not a finite instant', async () => {
    const { log, writes } = logOver(null);
    await log.open('ns');
    log.markConnected(Number.NaN);
    log.clampLastSeen(Number.NaN);
    log.keepReplayFloor(Number.NaN);
    log.append({ key: 'k', at: Number.NaN, envelope: { type: 't', timestamp: '', data: {} } });
    await log.flush();
    expect(log.lastSeen).toBeNull();
    expect(writes.every((seen) => seen === null)).toBe(true);
  });
});
