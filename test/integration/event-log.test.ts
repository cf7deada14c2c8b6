import 'fake-indexeddb/auto';
import { IDBFactory } from 'fake-indexeddb';
import { describe, expect, it, vi } from 'vitest';
import type { LogPolicy } from '../../src/broker/core/log-policy.ts';
import { optionDefaults } from '../../src/link/config.ts';

import { eventKey } from '../../src/link/event-identity.ts';
import type { EventStore, StoredEvent } from '../../src/broker/ports.ts';
import { EventLog } from '../../src/broker/event-log.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import { MemoryEventStore } from '../../src/broker/memory-store.ts';
import { FakeClock } from '../support/fake-clock.ts';

const defaultLogPolicy: LogPolicy = { maxEvents: optionDefaults.logMaxEvents, maxAgeMs: optionDefaults.logMaxAgeMs };

const t0 = Date.UTC(2025, 10, 3, 14, 30);
function event(n: number, at = t0 + n): StoredEvent {
  const envelope = { type: 'goal.created', timestamp: new Date(at).toISOString(), data: { n } };
  return { key: eventKey(envelope), at, envelope };
}

/** A store that counts its transactions and can be told to fail. */
class CountingStore extends MemoryEventStore {
  appends = 0;
  failing = false;
  override async append(...args: Parameters<EventStore['append']>): Promise<void> {
    this.appends++;
    if (this.failing) throw Object.assign(new Error('quota'), { name: 'QuotaExceededError' });
    return super.append(...args);
  }
}

function log(store: EventStore, clock = new FakeClock(t0), extra: Partial<ConstructorParameters<typeof EventLog>[0]> = {}) {
  const onDegraded = vi.fn();
  const eventLog = new EventLog({ policy: defaultLogPolicy, enabled: true, openStore: async () => store, clock, onDegraded, ...extra });
  return { eventLog, clock, onDegraded };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 0));

describe('event log batching', () => {
  it('writes events that arrive together in one transaction, within flushDelayMs', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog, clock } = log(store);
    await eventLog.open('ns');
    for (let i = 0; i < 40; i++) eventLog.append(event(i));
    expect(store.appends).toBe(0);
    clock.advance(10);
    await eventLog.flush();
    expect(store.appends).toBe(1);
    expect(await store.count()).toBe(40);
  });

  it('writes at once when a batch reaches flushBatchSize, and takes what piled up meanwhile in one next transaction', async () => {
    const store = new CountingStore({ ...defaultLogPolicy, maxEvents: 5000 });
    const { eventLog, clock } = log(store, new FakeClock(t0), { flushBatchSize: 100 });
    await eventLog.open('ns');
    for (let i = 0; i < 1000; i++) eventLog.append(event(i));
    await settle();
    await eventLog.flush();
    // The first 100 went at once, without waiting for the flush timer; the 900 that came while that
    // transaction was under way went together in the next: batches grow with the rate, commits do not.
    expect(store.appends).toBe(2);
    expect(await store.count()).toBe(1000);
    expect(clock.pending).toBe(0);
  });

  it('stores an event after a quiet spell within flushDelayMs, and spaces commits under steady traffic', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog, clock } = log(store);
    await eventLog.open('ns');
    eventLog.append(event(1));
    clock.advance(10);
    await settle();
    expect(store.appends).toBe(1);
    // Traffic goes on: the next commit waits until 100 ms after the last one, whatever comes meanwhile.
    for (let i = 2; i < 40; i++) {
      eventLog.append(event(i));
      clock.advance(2);
      await settle();
    }
    expect(store.appends).toBe(1);
    clock.advance(40);
    await settle();
    expect(store.appends).toBe(2);
    expect(await store.count()).toBe(39);
  });

  it('tracks last-seen as events are appended, with the keys of the newest instant', async () => {
    const { eventLog } = log(new CountingStore(defaultLogPolicy));
    await eventLog.open('ns');
    eventLog.append(event(1, t0 + 5));
    eventLog.append(event(2, t0 + 5));
    eventLog.append(event(3, t0 + 2));
    expect(eventLog.lastSeen).toEqual({ at: t0 + 5, keys: [event(1, t0 + 5).key, event(2, t0 + 5).key] });
  });

  it('answers recent() with what was appended a moment ago', async () => {
    const { eventLog } = log(new CountingStore(defaultLogPolicy));
    await eventLog.open('ns');
    eventLog.append(event(1));
    expect((await eventLog.recent({})).map((e) => e.envelope.data.n)).toEqual([1]);
  });
});

describe('event log failures', () => {
  it('falls back to memory when a write fails, reports it once, and keeps what it was given', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog, onDegraded } = log(store);
    await eventLog.open('ns');
    store.failing = true;
    eventLog.append(event(1));
    await eventLog.flush();
    eventLog.append(event(2));
    await eventLog.flush();
    expect(onDegraded).toHaveBeenCalledOnce();
    expect(onDegraded.mock.calls[0]![0]).toMatch(/QuotaExceededError/);
    expect(eventLog.status()).toMatchObject({ status: 'degraded' });
    expect((await eventLog.recent({})).map((e) => e.envelope.data.n)).toEqual([1, 2]);
  });

  it('runs from memory when IndexedDB cannot be opened at all', async () => {
    const { eventLog, onDegraded } = log(new CountingStore(defaultLogPolicy), new FakeClock(t0), {
      openStore: () => Promise.reject(new Error('IndexedDB is not available')),
    });
    expect(await eventLog.open('ns')).toBeNull();
    eventLog.append(event(7));
    expect((await eventLog.recent({})).map((e) => e.envelope.data.n)).toEqual([7]);
    expect(onDegraded).toHaveBeenCalledWith('IndexedDB unavailable: IndexedDB is not available');
  });

  it('keeps nothing when disabled, but still tracks last-seen', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog } = log(store, new FakeClock(t0), { enabled: false });
    await eventLog.open('ns');
    eventLog.append(event(1));
    await eventLog.flush();
    expect(store.appends).toBe(0);
    expect(await eventLog.recent({})).toEqual([]);
    expect(eventLog.lastSeen?.at).toBe(t0 + 1);
  });

  it('restores last-seen from IndexedDB in a new worker’s log', async () => {
    const factory = new IDBFactory();
    const stores = idbStores({ factory });
    const first = log(await stores.open('ns', defaultLogPolicy));
    await first.eventLog.open('ns');
    first.eventLog.append(event(9, t0 + 900));
    await first.eventLog.flush();
    const second = log(await stores.open('ns', defaultLogPolicy));
    expect(await second.eventLog.open('ns')).toEqual({ at: t0 + 900, keys: [event(9, t0 + 900).key] });
  });

  it('wipes pending and stored events and last-seen', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog } = log(store);
    await eventLog.open('ns');
    eventLog.append(event(1));
    await eventLog.flush();
    eventLog.append(event(2));
    await eventLog.wipe();
    await eventLog.flush();
    expect(await store.count()).toBe(0);
    expect(eventLog.lastSeen).toBeNull();
  });
});

describe('event log recovery', () => {
  /** A log whose openStore hands out a new CountingStore per call, or fails while `broken`. */
  function recovering(clock = new FakeClock(t0)) {
    const opened: CountingStore[] = [];
    const state = { broken: false };
    const openStore = vi.fn(async () => {
      if (state.broken) throw new Error('IndexedDB is broken');
      const store = new CountingStore(defaultLogPolicy);
      opened.push(store);
      return store;
    });
    return { ...log(new CountingStore(defaultLogPolicy), clock, { openStore }), opened, state, openStore };
  }

  it('reopens the store at once when a write fails (a connection closed), without degrading', async () => {
    const { eventLog, opened, onDegraded } = recovering();
    await eventLog.open('ns');
    opened[0]!.failing = true;
    eventLog.append(event(1));
    await eventLog.flush();
    expect(onDegraded).not.toHaveBeenCalled();
    expect(opened).toHaveLength(2);
    expect(await opened[1]!.count()).toBe(1);
    expect(eventLog.status()).toMatchObject({ status: 'ok', written: 1 });
  });

  it('back to ok once IndexedDB works again, at most one attempt per 30 s, with what memory kept moved back', async () => {
    const { eventLog, opened, onDegraded, state, openStore, clock } = recovering();
    await eventLog.open('ns');
    opened[0]!.failing = true;
    state.broken = true;
    eventLog.append(event(1));
    await eventLog.flush();
    expect(onDegraded).toHaveBeenCalledOnce();
    expect(eventLog.status()).toMatchObject({ status: 'degraded' });
    state.broken = false;
    const attempts = openStore.mock.calls.length;
    clock.advance(10_000);
    eventLog.append(event(2));
    await eventLog.flush();
    expect(await eventLog.recent({})).toHaveLength(2);
    expect(openStore.mock.calls.length).toBe(attempts);
    expect(eventLog.status()).toMatchObject({ status: 'degraded' });
    clock.advance(20_000);
    eventLog.append(event(3));
    await eventLog.flush();
    expect(eventLog.status()).toMatchObject({ status: 'ok' });
    const back = opened.at(-1)!;
    expect((await back.recent({})).map((e) => e.envelope.data.n)).toEqual([1, 2, 3]);
    expect((await eventLog.recent({})).map((e) => e.envelope.data.n)).toEqual([1, 2, 3]);
    expect(onDegraded).toHaveBeenCalledOnce();
  });

  it('retries opening on the next use after IndexedDB could not be opened at all', async () => {
    const { eventLog, state, clock, onDegraded } = recovering();
    state.broken = true;
    await eventLog.open('ns');
    expect(eventLog.status()).toMatchObject({ status: 'degraded' });
    state.broken = false;
    clock.advance(30_000);
    eventLog.append(event(1));
    expect((await eventLog.recent({})).map((e) => e.envelope.data.n)).toEqual([1]);
    expect(eventLog.status()).toMatchObject({ status: 'ok' });
    expect(onDegraded).toHaveBeenCalledOnce();
  });

  it('wipe() says false when the store could not be wiped', async () => {
    const store = new CountingStore(defaultLogPolicy);
    store.wipe = () => Promise.reject(new Error('disk error'));
    const { eventLog } = log(store);
    await eventLog.open('ns');
    expect(await eventLog.wipe()).toBe(false);
    const healthy = log(new CountingStore(defaultLogPolicy)).eventLog;
    await healthy.open('ns');
    expect(await healthy.wipe()).toBe(true);
  });

  it('counts events the store refused to keep, apart from those written', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog } = log(store);
    const refusing = Object.assign(store, { refused: 0 });
    const append = store.append.bind(store);
    store.append = async (batch, ...rest) => {
      refusing.refused += 1;
      return append(batch.slice(1), ...rest);
    };
    await eventLog.open('ns');
    eventLog.append(event(1));
    eventLog.append(event(2));
    await eventLog.flush();
    expect(eventLog.status()).toMatchObject({ status: 'ok', written: 1, refused: 1 });
  });
});

describe('event log pacing', () => {
  it('measures the time since the last commit on the monotonic clock: a wall clock set back does not stall writes', async () => {
    const store = new CountingStore(defaultLogPolicy);
    const { eventLog, clock } = log(store);
    await eventLog.open('ns');
    eventLog.append(event(1));
    clock.advance(10);
    await settle();
    expect(store.appends).toBe(1);
    clock.jumpWall(-3_600_000);
    eventLog.append(event(2));
    clock.advance(100);
    await settle();
    expect(store.appends).toBe(2);
  });
});

describe('event log age', () => {
  it('trims by age against the server’s clock, not a browser clock that runs an hour ahead', async () => {
    const policy = { ...defaultLogPolicy, maxAgeMs: 3_600_000 };
    const store = new MemoryEventStore(policy);
    const browserAhead = new FakeClock(t0 + 3_600_000);
    const eventLog = new EventLog({ policy, enabled: true, openStore: async () => store, clock: browserAhead, onDegraded: vi.fn(), serverNow: () => t0 });
    await eventLog.open('ns');
    // Thirty minutes old by the server's clock, ninety by the browser's.
    eventLog.append(event(0, t0 - 1_800_000));
    await eventLog.flush();
    expect(await store.count()).toBe(1);
  });
});
