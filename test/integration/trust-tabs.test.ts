/**
 * What a tab is told holds against the real broker in Node: a send refused to
 * the app at `close()` never goes out, whichever of the tab's detach and its
 * released lock reaches the broker first; an event never reaches a tab twice
 * across a broker replacement; two apps on one origin never share a broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { IDBFactory } from 'fake-indexeddb';
import type { BrokerDeps, StoreFactory } from '../../src/broker/broker.ts';
import type { BrokerStats } from '../../src/link/stats.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import type { EventStore } from '../../src/broker/ports.ts';
import { eventKey } from '../../src/link/event-identity.ts';
import { type World, createWorld, until, worldStats as stats } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});


describe('a tab that closes with a send queued', () => {
  it.each([1, 3])('is told CLOSED, and the message never goes out once the socket is back (%i tabs leaving)', async (count) => {
    world = await createWorld({ config: { lingerMs: 5000 } });
    // The first tab to attach leaves: its lock is the first the broker waits on.
    const leaving = [await world.tab()];
    const staying = await world.tab();
    while (leaving.length < count) leaving.push(await world.tab());
    await until(() => expect(staying.status).toBe('open'));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(staying.status).not.toBe('open'));
    const outcomes = leaving.map((tab, i) =>
      tab.broker.send({ action: 'broadcast', data: { from: `leaving-${i}` } }).then(
        () => 'sent',
        (error: { code?: string }) => error.code,
      ),
    );
    await until(async () => expect((await stats(world)).outbox).toBe(leaving.length));
    for (const tab of leaving) tab.close();
    expect(await Promise.all(outcomes)).toEqual(leaving.map(() => 'CLOSED'));
    await until(async () => expect((await stats(world)).tabs).toBe(1));
    world.backend.setAccepting(true);
    await until(() => expect(staying.states.filter((s) => s.status === 'open')).toHaveLength(2));
    // What went out is sent before the state says open: a sent message would be here already.
    await staying.broker.send({ action: 'broadcast', data: { from: 'staying' } });
    await until(() => expect(world.backend.stats().received).toHaveLength(1));
    expect(world.backend.stats().received).toEqual([{ action: 'broadcast', data: { from: 'staying' } }]);
  });
});

describe('two apps on one origin with the same socket URL', () => {
  it("stay apart: the second app's tab is refused by the first app's broker and runs on its own", async () => {
    world = await createWorld();
    const first = await world.tab({ patterns: ['*'] });
    await until(() => expect(first.status).toBe('open'));
    const second = await world.tab({ patterns: ['*'], resync: { eventsSinceUrl: `${world.backend.httpUrl}/app2/events` } });
    await until(() => expect(second.status).toBe('open'));
    expect(second.errors.map((error) => error.code)).toContain('WORKER_UNAVAILABLE');
    expect((await stats(world)).tabs).toBe(1);
    expect(second.broker.sharing).not.toBe('worker');
  });
});

/**
 * IndexedDB stores that fail every write and open while `stalled` (a broker that relays, then dies
 * before it wrote: what it kept in memory dies with it).
 */
function stallableStores(): { stores: StoreFactory; stall(stalled: boolean): void } {
  const real = idbStores({ factory: new IDBFactory() });
  let stalled = false;
  const refuse = () => Promise.reject(new DOMException('stalled', 'AbortError'));
  const stores: StoreFactory = {
    async open(ns, policy) {
      if (stalled) return refuse();
      const store = await real.open(ns, policy);
      return new Proxy(store, {
        get(target, name: keyof EventStore) {
          if (name === 'append') return (...args: Parameters<EventStore['append']>) => (stalled ? refuse() : target.append(...args));
          const value = target[name];
          return typeof value === 'function' ? value.bind(target) : value;
        },
      });
    },
    wipePrefix: (prefix) => real.wipePrefix(prefix),
  };
  return { stores, stall: (value) => (stalled = value) };
}

describe('a broker replaced under a tab', () => {
  it('never delivers an event twice, past the handoff window of 64 events, when the next broker replays what the dead one relayed but never wrote', async () => {
    const { stores, stall } = stallableStores();
    world = await createWorld({ stores, backend: { replayCapacity: 500 } });
    const tab = await world.tab({ patterns: ['*'], resync: { eventsSinceUrl: `${world.backend.httpUrl}/api/events`, replayLimit: 500 } });
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'written' });
    await until(() => expect(tab.events).toHaveLength(1));
    // Written: the next broker starts its gap from here.
    await until(async () => expect(await tab.broker.recent()).toHaveLength(1));
    stall(true);
    for (let i = 0; i < 100; i++) world.backend.emit('tenant-123', 'goal.created', { goalId: `relayed-${i}` });
    await until(() => expect(tab.events).toHaveLength(101));
    // It dies with the 100 in memory only; the next one's log has the first event alone.
    await world.broker.shutdown();
    stall(false);
    await world.restartBroker();
    await until(() => expect(tab.resyncs).toHaveLength(1), 10_000);
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await until(() => expect(tab.events.at(-1)?.data).toMatchObject({ goalId: 'after' }));
    const keys = tab.events.map(eventKey);
    expect(keys.length - new Set(keys).size).toBe(0);
    expect(tab.events).toHaveLength(102);
  });
});

describe('a tab that stops reading its stream', () => {
  it('is sent at most the bound of unread batches, the rest dropped and counted, and told complete: false once when it reads again', async () => {
    // A stall time of 0: a full backlog alone marks the frozen tab (a busy one that still acknowledges is the unit tests').
    world = await createWorld({ deps: { tabBacklogBatches: 16, tabStallMs: 0 } as Partial<BrokerDeps> });
    const fast = await world.tab({ patterns: ['*'] });
    const slow = await world.tab({ patterns: ['*'] });
    await until(() => expect(slow.status).toBe('open'));
    const thaw = slow.freezeStream();
    for (let i = 0; i < 60; i++) {
      world.backend.emit('tenant-123', 'goal.created', { goalId: `e${i}` });
      // One batch each: the fast tab has it before the next is sent.
      await until(() => expect(fast.events).toHaveLength(i + 1));
    }
    const dropped = (await stats(world)).dropped as BrokerStats['dropped'] & { slowTab?: number };
    expect(dropped.slowTab).toBeGreaterThanOrEqual(60 - 16);
    thaw();
    await until(() => expect(slow.resyncs).toHaveLength(1));
    expect(slow.resyncs[0]).toMatchObject({ reason: 'slow-tab', complete: false, replayed: 0 });
    expect(slow.events.length).toBeLessThanOrEqual(16);
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await until(() => expect(slow.events.at(-1)?.data).toMatchObject({ goalId: 'after' }));
    expect(slow.resyncs).toHaveLength(1);
    expect(fast.resyncs).toEqual([]);
    expect(fast.events).toHaveLength(61);
  });
});
