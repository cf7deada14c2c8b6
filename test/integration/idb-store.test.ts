import 'fake-indexeddb/auto';
import { IDBFactory, forceCloseDatabase } from 'fake-indexeddb';
import { unwrap } from 'idb';
import { describe, expect, it, vi } from 'vitest';
import type { LogPolicy } from '../../src/broker/core/log-policy.ts';
import { eventKey } from '../../src/link/event-identity.ts';
import type { StoredEvent } from '../../src/broker/ports.ts';
import { IdbEventStore, idbStores } from '../../src/broker/idb-store.ts';
import { openTabwireDatabase } from '../../src/broker/idb-database.ts';
import { FakeClock } from '../support/fake-clock.ts';

/** The browser closing a connection abnormally (fake-indexeddb's types want the class, not a connection). */
const browserCloses = (db: IDBDatabase) => forceCloseDatabase(db as unknown as Parameters<typeof forceCloseDatabase>[0]);
const t0 = Date.UTC(2025, 10, 3, 14, 30);
const policy: LogPolicy = { maxEvents: 500, maxAgeMs: 24 * 3600_000 };

function event(at: number, type = 'goal.created', data: Record<string, unknown> = {}): StoredEvent {
  const envelope = { type, timestamp: new Date(at).toISOString(), data: { tenantId: 't', ...data } };
  return { key: eventKey(envelope), at, envelope };
}

async function store(ns = 'wss://x|t|u', p = policy, factory = new IDBFactory()) {
  const db = await openTabwireDatabase(() => {}, 1000, factory);
  return { store: new IdbEventStore(db, ns, p), db, factory };
}

describe('IndexedDB event store', () => {
  it('keeps at most maxEvents per namespace under 10,000 appends, the newest ones', async () => {
    const { store: s } = await store();
    for (let batch = 0; batch < 40; batch++) {
      const events = Array.from({ length: 250 }, (_, i) => event(t0 + batch * 250 + i, 'goal.created', { n: batch * 250 + i }));
      await s.append(events, { at: events.at(-1)!.at, keys: [events.at(-1)!.key] }, t0 + 10_000);
      expect(await s.count()).toBeLessThanOrEqual(500);
    }
    expect(await s.count()).toBe(500);
    const kept = await s.recent({ limit: 1000 });
    expect(kept.map((e) => e.envelope.data.n)).toEqual(Array.from({ length: 500 }, (_, i) => 9500 + i));
  });

  it('keeps the bound without counting or walking rows per batch: one key-range delete per transaction', async () => {
    const { store: s } = await store('ns', { maxEvents: 500, maxAgeMs: 24 * 3600_000 });
    const count = vi.spyOn(IDBObjectStore.prototype, 'count');
    const cursor = vi.spyOn(IDBObjectStore.prototype, 'openCursor');
    const keys = vi.spyOn(IDBObjectStore.prototype, 'getAllKeys');
    const deletes = vi.spyOn(IDBObjectStore.prototype, 'delete');
    try {
      for (let batch = 0; batch < 8; batch++) {
        const events = Array.from({ length: 250 }, (_, i) => event(t0 + batch * 250 + i, 'goal.created', { n: batch * 250 + i }));
        await s.append(events, null, t0 + 10_000);
      }
      expect(count).not.toHaveBeenCalled();
      expect(cursor).not.toHaveBeenCalled();
      // The namespace's keys are read once, by its first write.
      expect(keys).toHaveBeenCalledTimes(1);
      expect(deletes).toHaveBeenCalledTimes(8);
    } finally {
      for (const spy of [count, cursor, keys, deletes]) spy.mockRestore();
    }
    expect((await s.recent({ limit: 1000 })).map((e) => e.envelope.data.n)).toEqual(Array.from({ length: 500 }, (_, i) => 1500 + i));
  });

  it('keeps the newest maxEvents when events arrive out of order, re-appended, or onto rows stored before a reopen', async () => {
    const factory = new IDBFactory();
    const small = { maxEvents: 5, maxAgeMs: 24 * 3600_000 };
    const first = await store('ns', small, factory);
    await first.store.append([0, 1, 2, 3].map((i) => event(t0 + i * 10, 'goal.created', { n: i })), null, t0);
    first.db.close();
    const { store: s } = await store('ns', small, factory);
    const late = event(t0 + 5, 'goal.created', { n: 'late' });
    const again = event(t0 + 30, 'goal.created', { n: 3 });
    await s.append([event(t0 + 50, 'goal.created', { n: 5 }), late, again, event(t0 + 40, 'goal.created', { n: 4 })], null, t0);
    expect((await s.recent({})).map((e) => e.envelope.data.n)).toEqual([1, 2, 3, 4, 5]);
    await s.append([event(t0 + 1, 'goal.created', { n: 'older than all' })], null, t0);
    expect((await s.recent({})).map((e) => e.envelope.data.n)).toEqual([1, 2, 3, 4, 5]);
    expect(await s.count()).toBe(5);
  });

  it('after a wipe of its endpoint, a store counts only the rows written since (none it knew before survive)', async () => {
    const factory = new IDBFactory();
    const small = { maxEvents: 3, maxAgeMs: 24 * 3600_000 };
    const stores = idbStores({ factory });
    const s = await stores.open('wss://x/rt|t|u', small);
    await s.append([0, 1, 2].map((i) => event(t0 + i)), null, t0);
    await stores.wipePrefix('wss://x/rt|');
    // Older than the wiped rows: had the store kept counting those, it would cut these.
    await s.append([-3, -2, -1].map((i) => event(t0 + i, 'goal.created', { n: i })), null, t0);
    expect((await s.recent({})).map((e) => e.envelope.data.n)).toEqual([-3, -2, -1]);
    await s.append([-4, 5].map((i) => event(t0 + i, 'goal.created', { n: i })), null, t0);
    expect((await s.recent({})).map((e) => e.envelope.data.n)).toEqual([-2, -1, 5]);
  });

  it('drops events older than maxAgeMs in the same transaction as the append', async () => {
    const { store: s } = await store('ns', { maxEvents: 1000, maxAgeMs: 60_000 });
    await s.append([event(t0), event(t0 + 30_000), event(t0 + 59_000)], null, t0 + 59_000);
    expect(await s.count()).toBe(3);
    await s.append([event(t0 + 95_000)], null, t0 + 95_000);
    expect((await s.recent({})).map((e) => e.at - t0)).toEqual([59_000, 95_000]);
  });

  it('stores an event once however often it is appended', async () => {
    const { store: s } = await store();
    const same = event(t0, 'goal.created', { goalId: 'g' });
    await s.append([same, same], null, t0);
    await s.append([same], null, t0);
    expect(await s.count()).toBe(1);
  });

  it('answers recent() newest-N oldest-first, by type pattern and exclusive since', async () => {
    const { store: s } = await store();
    await s.append(
      [event(t0, 'goal.created'), event(t0 + 1, 'action.created'), event(t0 + 2, 'goal.completed'), event(t0 + 3, 'goal.activity.created')],
      null,
      t0,
    );
    expect((await s.recent({ type: 'goal.*' })).map((e) => e.envelope.type)).toEqual(['goal.created', 'goal.completed', 'goal.activity.created']);
    expect((await s.recent({ limit: 2 })).map((e) => e.at - t0)).toEqual([2, 3]);
    expect((await s.recent({ since: new Date(t0 + 1).toISOString() })).map((e) => e.at - t0)).toEqual([2, 3]);
    expect(await s.recent({ limit: 0 })).toEqual([]);
  });

  it('keeps namespaces apart: another tenant or user reads nothing of this one', async () => {
    const factory = new IDBFactory();
    const a = (await store('wss://x|tenant-a|u1', policy, factory)).store;
    const b = (await store('wss://x|tenant-b|u1', policy, factory)).store;
    const c = (await store('wss://x|tenant-a|u2', policy, factory)).store;
    await a.append([event(t0, 'goal.created', { secret: 'a' })], { at: t0, keys: ['k'] }, t0);
    expect(await b.recent({})).toEqual([]);
    expect(await c.recent({})).toEqual([]);
    expect(await b.lastSeen()).toBeNull();
    expect(await a.lastSeen()).toEqual({ at: t0, keys: ['k'] });
  });

  it('persists last-seen and events across reopening the database', async () => {
    const factory = new IDBFactory();
    const first = await store('ns', policy, factory);
    await first.store.append([event(t0), event(t0 + 5)], { at: t0 + 5, keys: ['x', 'y'] }, t0);
    first.db.close();
    const second = await store('ns', policy, factory);
    expect(await second.store.lastSeen()).toEqual({ at: t0 + 5, keys: ['x', 'y'] });
    expect(await second.store.count()).toBe(2);
    expect(await second.store.keysSince(t0 + 1)).toHaveLength(1);
  });

  it('logout wipes every namespace of the endpoint, and only those', async () => {
    const factory = new IDBFactory();
    const stores = idbStores({ factory });
    const mine1 = await stores.open('wss://x/rt|t1|u1', policy);
    const mine2 = await stores.open('wss://x/rt|t2|u1', policy);
    const other = await stores.open('wss://other/rt|t1|u1', policy);
    for (const s of [mine1, mine2, other]) await s.append([event(t0)], { at: t0, keys: ['k'] }, t0);
    await stores.wipePrefix('wss://x/rt|');
    expect(await mine1.count()).toBe(0);
    expect(await mine2.lastSeen()).toBeNull();
    expect(await other.count()).toBe(1);
  });

  it('rejects, rather than hanging, when a newer version of the database exists', async () => {
    const factory = new IDBFactory();
    const newer = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('tabwire', 5);
      request.onsuccess = () => resolve(request.result);
    });
    await expect(openTabwireDatabase(() => {}, 500, factory)).rejects.toThrow();
    newer.close();
  });

  it('rejects after the timeout, saying why, when an older connection will not give way (blocked)', async () => {
    const factory = new IDBFactory();
    // An older build's connection that ignores versionchange.
    const older = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('tabwire', 1);
      request.onsuccess = () => resolve(request.result);
    });
    await expect(openTabwireDatabase(() => {}, 200, factory)).rejects.toThrow('IndexedDB open blocked by version 1');
    older.close();
  });

  it('gives way to a newer version (blocking): closes at once, so the upgrade is not blocked, and reports the loss', async () => {
    const factory = new IDBFactory();
    const onLost = vi.fn();
    await openTabwireDatabase(onLost, 1000, factory);
    const blocked = vi.fn();
    const newer = await new Promise<IDBDatabase>((resolve) => {
      const request = factory.open('tabwire', 3);
      request.onblocked = blocked;
      request.onsuccess = () => resolve(request.result);
    });
    expect(onLost).toHaveBeenCalledWith('asked to give way to a newer version or a deletion');
    expect(blocked).not.toHaveBeenCalled();
    newer.close();
  });

  it('reports a connection the browser closed (terminated)', async () => {
    const onLost = vi.fn();
    browserCloses(unwrap(await openTabwireDatabase(onLost, 1000, new IDBFactory())));
    expect(onLost).toHaveBeenCalledWith('the browser closed the database connection');
  });
});

describe('IndexedDB event store: what a server value cannot break', () => {
  const prototypeNames = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

  it('stores types named like Object.prototype members and answers recent() for * and goal.* without hanging', async () => {
    const { store: s } = await store();
    const events = [...prototypeNames, 'goal.created'].map((type, i) => event(t0 + i, type));
    await s.append(events, null, t0);
    expect((await s.recent({ type: '*' })).map((e) => e.envelope.type)).toEqual([...prototypeNames, 'goal.created']);
    expect((await s.recent({ type: 'goal.*' })).map((e) => e.envelope.type)).toEqual(['goal.created']);
    expect((await s.recent({ type: 'toString' })).map((e) => e.envelope.type)).toEqual(['toString']);
  });

  it('skips and counts a stored row that is not an envelope (an older build stored a type that was an object)', async () => {
    const { store: s, db } = await store('ns');
    await s.append([event(t0, 'goal.created'), event(t0 + 2, 'goal.completed')], null, t0);
    // Written past the schema's types, as an older build did.
    const tx = unwrap(db).transaction('events', 'readwrite');
    tx.objectStore('events').put({ type: {}, timestamp: new Date(t0 + 1).toISOString(), data: {} }, ['ns', t0 + 1, 'bad']);
    tx.objectStore('events').put('not an envelope', ['ns', t0 + 3, 'worse']);
    await new Promise((resolve) => (tx.oncomplete = resolve));
    expect((await s.recent({ type: 'goal.*' })).map((e) => e.envelope.type)).toEqual(['goal.created', 'goal.completed']);
    expect((await s.recent({ type: '*' })).map((e) => e.envelope.type)).toEqual(['goal.created', 'goal.completed']);
    expect(s.skippedRows).toBe(4);
  });

  it('stores the rest of a batch when IndexedDB refuses one of its events, and counts the refused one', async () => {
    const { store: s } = await store('ns');
    const unclonable = { key: 'fn', at: t0 + 1, envelope: { type: 'x.y', timestamp: new Date(t0 + 1).toISOString(), data: { f: () => 1 } } };
    await s.append([event(t0), unclonable as StoredEvent, event(t0 + 2, 'goal.completed')], { at: t0 + 2, keys: ['k'] }, t0);
    expect((await s.recent({})).map((e) => e.envelope.type)).toEqual(['goal.created', 'goal.completed']);
    expect(s.refused).toBe(1);
    expect(await s.lastSeen()).toEqual({ at: t0 + 2, keys: ['k'] });
  });
});

/** An IndexedDB factory that can be told to fail to open, and keeps the connections it opened. */
class FlakyFactory {
  failing = false;
  opens = 0;
  readonly connections: IDBDatabase[] = [];
  constructor(readonly inner = new IDBFactory()) {}
  open(name: string, version?: number): IDBOpenDBRequest {
    this.opens++;
    if (this.failing) throw new DOMException('IndexedDB is broken', 'UnknownError');
    const request = this.inner.open(name, version);
    request.addEventListener('success', () => this.connections.push(request.result));
    return request;
  }
  asFactory(): IDBFactory {
    return this as unknown as IDBFactory;
  }
}

describe('IndexedDB connection lost or refused', () => {
  it('reopens on the next use after a newer version or a deletion closed the connection', async () => {
    const factory = new IDBFactory();
    const stores = idbStores({ factory });
    const first = await stores.open('ns', policy);
    await first.append([event(t0)], null, t0);
    // Deleting the database asks open connections to give way (versionchange).
    await new Promise((resolve) => (factory.deleteDatabase('tabwire').onsuccess = resolve));
    await expect(first.count()).rejects.toThrow();
    const second = await stores.open('ns', policy);
    await second.append([event(t0 + 1)], null, t0);
    expect(await second.count()).toBe(1);
  });

  it('reopens after the connection was closed without an event', async () => {
    const factory = new FlakyFactory();
    const stores = idbStores({ factory: factory.asFactory() });
    await stores.open('ns', policy);
    factory.connections[0]!.close();
    const store = await stores.open('ns', policy);
    await store.append([event(t0)], null, t0);
    expect(await store.count()).toBe(1);
    expect(factory.opens).toBe(2);
  });

  it('reopens on the next use after the browser closed the connection (terminated)', async () => {
    const factory = new FlakyFactory();
    const stores = idbStores({ factory: factory.asFactory() });
    await (await stores.open('ns', policy)).append([event(t0)], null, t0);
    browserCloses(factory.connections[0]!);
    const store = await stores.open('ns', policy);
    expect(await store.count()).toBe(1);
    expect(factory.opens).toBe(2);
  });

  it('after a failed open, tries again at most once per reopenIntervalMs (monotonic clock)', async () => {
    const factory = new FlakyFactory();
    const clock = new FakeClock(t0);
    const stores = idbStores({ factory: factory.asFactory(), clock });
    factory.failing = true;
    await expect(stores.open('ns', policy)).rejects.toThrow();
    factory.failing = false;
    clock.jumpWall(3_600_000);
    clock.advance(29_000);
    await expect(stores.open('ns', policy)).rejects.toThrow();
    expect(factory.opens).toBe(1);
    clock.advance(1_000);
    expect(await (await stores.open('ns', policy)).count()).toBe(0);
    expect(factory.opens).toBe(2);
  });

  it('a wipe that could not even open the database is performed by the next connection of this worker, before any read', async () => {
    const factory = new FlakyFactory();
    const clock = new FakeClock(t0);
    const stores = idbStores({ factory: factory.asFactory(), clock });
    await (await stores.open('wss://x/rt|t|u', policy)).append([event(t0)], { at: t0, keys: ['k'] }, t0);
    factory.connections[0]!.close();
    factory.failing = true;
    await expect(stores.wipePrefix('wss://x/rt|')).rejects.toThrow();
    factory.failing = false;
    clock.advance(30_000);
    const reopened = await stores.open('wss://x/rt|t|u', policy);
    expect(await reopened.count()).toBe(0);
    expect(await reopened.lastSeen()).toBeNull();
  });

  it('a wipe that failed after its marker was written is performed by the next worker before any read', async () => {
    const factory = new IDBFactory();
    const stores = idbStores({ factory });
    const mine = await stores.open('wss://x/rt|t|u', policy);
    const other = await stores.open('wss://other/rt|t|u', policy);
    await mine.append([event(t0)], { at: t0, keys: ['k'] }, t0);
    await other.append([event(t0)], null, t0);
    const failingDelete = vi.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(() => {
      throw new DOMException('disk error', 'UnknownError');
    });
    try {
      await expect(stores.wipePrefix('wss://x/rt|')).rejects.toThrow();
    } finally {
      failingDelete.mockRestore();
    }
    expect(await mine.count()).toBe(1);
    // A new worker: its own factory over the same database.
    const next = await idbStores({ factory }).open('wss://x/rt|t|u', policy);
    expect(await next.count()).toBe(0);
    expect(await next.lastSeen()).toBeNull();
    expect(await (await idbStores({ factory }).open('wss://other/rt|t|u', policy)).count()).toBe(1);
  });
});
