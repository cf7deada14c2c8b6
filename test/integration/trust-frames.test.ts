/**
 * The real broker against frames that pass the envelope check but are not usable
 * events: a control-looking type without a timestamp (`auth.revoked`), live or in a
 * replay answer. Last-seen must never take a non-finite value: every later gap is
 * still replayed or told, and `stats()` answers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { StoreFactory } from '../../src/broker/broker.ts';
import { idbStores } from '../../src/broker/idb-store.ts';
import { type TestTab, type World, createWorld, until, replayConfig, goalIds as ids, worldStats as stats } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});


/** Answer within `ms` or fail: a call that never settles must fail the test, not time it out. */
function within<T>(promise: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}

/** Take the server away, write three events nobody receives, bring it back. */
async function outageWithThreeWrites(w: World, tab: TestTab): Promise<void> {
  w.backend.setAccepting(false);
  w.backend.drop();
  await until(() => expect(tab.status).not.toBe('open'));
  for (const goalId of ['m1', 'm2', 'm3']) w.backend.emit('tenant-123', 'goal.created', { goalId });
  w.backend.setAccepting(true);
}

describe('a frame the dialect reads as an event without a timestamp', () => {
  it('live: is dropped and counted; the next gap with three writes is replayed and told, stats() answers', async () => {
    world = await createWorld();
    const tab = await world.tab(replayConfig(world));
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    world.backend.push({ type: 'auth.revoked' });
    await until(async () => expect((await within(stats(world))).dropped.malformed).toBe(1));
    expect((await within(stats(world))).lastSeen).toBe(tab.events[0]!.timestamp);
    expect(tab.errors.find((e) => e.code === 'MALFORMED_FRAME')).toMatchObject({ type: 'auth.revoked', message: expect.stringMatching(/timestamp/) });

    await outageWithThreeWrites(world, tab);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect', replayed: 3, complete: true });
    expect(ids(tab)).toEqual(['before', 'm1*', 'm2*', 'm3*']);
    expect((await within(stats(world))).state).toBe('open');
  });

  it('live, no replay endpoint: the gap with three writes is told, complete false', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    world.backend.push({ type: 'auth.revoked' });
    await until(async () => expect((await within(stats(world))).dropped.malformed).toBe(1));
    await outageWithThreeWrites(world, tab);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.resyncs[0]).toMatchObject({ since: tab.events[0]!.timestamp, reason: 'reconnect', complete: false });
    await within(stats(world));
  });

  it('in a replay answer: is left out and counted; the rest of the replay is delivered, stats() answers', async () => {
    const spliceShort: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('/api/events') || !response.ok) return response;
      const text = await response.text();
      const spliced = text === '[]' ? '[{"type":"auth.revoked"}]' : `[{"type":"auth.revoked"},${text.slice(1)}`;
      return new Response(spliced, { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    world = await createWorld({ deps: { fetch: spliceShort } });
    const tab = await world.tab(replayConfig(world));
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    await outageWithThreeWrites(world, tab);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.resyncs[0]).toMatchObject({ replayed: 3, complete: true });
    expect(ids(tab)).toEqual(['before', 'm1*', 'm2*', 'm3*']);
    const s = await within(stats(world));
    expect(s.dropped.malformed).toBe(1);
    expect(s.lastSeen).toBe(tab.events[3]!.timestamp);
    // A second gap is replayed from there.
    await outageWithThreeWrites(world, tab);
    await until(() => expect(tab.resyncs).toHaveLength(2), 5000);
    expect(tab.resyncs[1]).toMatchObject({ replayed: 3, complete: true });
  });
});

describe('a last-seen that is not a number, stored by an older worker', () => {
  it('is taken as unknown: the next worker tells the gap complete false, and stats() answers', async () => {
    let poison = false;
    const real = idbStores({ factory: new (await import('fake-indexeddb')).IDBFactory() });
    // The older worker wrote NaN as last-seen: IndexedDB keeps it as it is.
    const stores: StoreFactory = {
      wipePrefix: (prefix) => real.wipePrefix(prefix),
      async open(ns, policy) {
        const store = await real.open(ns, policy);
        const append = store.append.bind(store);
        store.append = (events, lastSeen, now) => append(events, lastSeen && poison ? { ...lastSeen, at: Number.NaN } : lastSeen, now);
        return store;
      },
    };
    world = await createWorld({ stores });
    const tab = await world.tab(replayConfig(world));
    await until(() => expect(tab.status).toBe('open'));
    poison = true;
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(async () => expect((await stats(world)).log.size).toBe(1));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(tab.status).not.toBe('open'));
    for (const goalId of ['m1', 'm2', 'm3']) world.backend.emit('tenant-123', 'goal.created', { goalId });
    await world.restartBroker();
    poison = false;
    world.backend.setAccepting(true);
    await until(() => expect(tab.resyncs).toHaveLength(1), 5000);
    expect(tab.resyncs[0]).toMatchObject({ reason: 'restart', complete: false });
    const s = await within(stats(world));
    expect(s.state).toBe('open');
    expect(s.lastSeen).not.toBeNull();
  });
});

describe('a tenant id that a header cannot carry as it is', () => {
  it('is sent percent-encoded: every gap is replayed, none fails on the header', async () => {
    world = await createWorld();
    world.login('租户-1');
    const tab = await world.tab(replayConfig(world));
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('租户-1', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    for (let gap = 1; gap <= 2; gap++) {
      world.backend.setAccepting(false);
      world.backend.drop();
      await until(() => expect(tab.status).not.toBe('open'));
      world.backend.emit('租户-1', 'goal.created', { goalId: `m${gap}` });
      world.backend.setAccepting(true);
      await until(() => expect(tab.resyncs).toHaveLength(gap), 5000);
      expect(tab.resyncs[gap - 1]).toMatchObject({ replayed: 1, complete: true });
    }
    expect(ids(tab)).toEqual(['before', 'm1*', 'm2*']);
    expect(tab.errors.filter((e) => e.code === 'REPLAY_FAILED')).toEqual([]);
    expect(world.backend.stats().replayRequests).toBe(2);
  });
});
