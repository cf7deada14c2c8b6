/**
 * The real broker against frames a server should not send but might: types
 * named like Object.prototype members, and payloads nested thousands deep.
 * Nothing lost (the rest of the traffic flows, is stored and replayed),
 * nothing thrown away uncounted.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { type World, createWorld, until, worldStats as stats } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

const prototypeNames = ['constructor', 'toString', '__proto__', 'hasOwnProperty', 'valueOf'];

/** Answer within `ms` or fail: a hung `recent()` must fail the test, not time it out. */
function within<T>(promise: Promise<T>, ms = 3000): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms))]);
}

/** A frame whose `data.deep` nests `depth` objects, as text: JSON.stringify itself overflows at this depth. */
function deepFrame(depth: number, goalId: string, timestamp: string): string {
  const deep = `${'{"d":'.repeat(depth)}1${'}'.repeat(depth)}`;
  return `{"type":"goal.created","timestamp":"${timestamp}","data":{"tenantId":"tenant-123","goalId":"${goalId}","deep":${deep}}}`;
}

describe('types named like Object.prototype members', () => {
  it('are relayed as plain unknown types, stored, and returned by recent() for * and goal.*', async () => {
    world = await createWorld();
    const everything = await world.tab({ patterns: ['*'] });
    const goals = await world.tab({ patterns: ['goal.*'] });
    await until(() => expect(everything.status).toBe('open'));
    let ms = Date.now() - 1000;
    for (const type of prototypeNames) {
      world.backend.push({ type, timestamp: new Date(++ms).toISOString(), data: { tenantId: 'tenant-123', n: type } });
    }
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await until(() => expect(everything.types()).toEqual([...prototypeNames, 'goal.created']));
    await until(() => expect(goals.types()).toEqual(['goal.created']));
    const all = await within(everything.broker.recent({ type: '*' }));
    expect(all.map((e) => e.type)).toEqual([...prototypeNames, 'goal.created']);
    const goalsOnly = await within(everything.broker.recent({ type: 'goal.*' }));
    expect(goalsOnly.map((e) => e.type)).toEqual(['goal.created']);
    const s = await stats(world);
    expect(s.log.status).toBe('ok');
    expect(s.log.size).toBe(6);
  });
});

describe('deeply nested payloads', () => {
  it('a 5,000-deep frame is dropped, counted and reported as TOO_DEEP; the events around it flow', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    world.backend.push(deepFrame(5000, 'deep', new Date().toISOString()));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'after' });
    await until(() => expect(tab.events.map((e) => e.data.goalId)).toEqual(['before', 'after']));
    const s = await stats(world);
    expect(s.dropped).toMatchObject({ tooDeep: 1, malformed: 0 });
    expect(tab.errors.map((e) => e.code)).toEqual(['TOO_DEEP']);
    expect(s.state).toBe('open');
  });

  it('a 5,000-deep event in a replay answer is left out; the rest of the replay is delivered', async () => {
    // The mock backend cannot serialise such an event: splice it into its events-since answer.
    let deepAt = '';
    const spliceDeep: typeof fetch = async (input, init) => {
      const response = await fetch(input, init);
      if (!String(input).includes('/api/events') || !response.ok) return response;
      const text = await response.text();
      const spliced = text === '[]' ? `[${deepFrame(5000, 'deep', deepAt)}]` : `[${deepFrame(5000, 'deep', deepAt)},${text.slice(1)}`;
      return new Response(spliced, { status: 200, headers: { 'Content-Type': 'application/json' } });
    };
    world = await createWorld({ deps: { fetch: spliceDeep } });
    const tab = await world.tab({ resync: { eventsSinceUrl: `${world.backend.httpUrl}/api/events` } });
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
    await until(() => expect(tab.events).toHaveLength(1));
    world.backend.setAccepting(false);
    world.backend.drop();
    await until(() => expect(tab.status).not.toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'm1' });
    deepAt = new Date(Date.parse(tab.events[0]!.timestamp) + 1).toISOString();
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'm2' });
    world.backend.setAccepting(true);
    await until(() => expect(tab.resyncs).toHaveLength(1));
    expect(tab.resyncs[0]).toMatchObject({ reason: 'reconnect', replayed: 2 });
    expect(tab.events.map((e) => `${String(e.data.goalId)}${e.replayed ? '*' : ''}`)).toEqual(['before', 'm1*', 'm2*']);
    expect(tab.errors.filter((e) => e.code === 'REPLAY_FAILED')).toEqual([]);
  });
});

describe('logout', () => {
  it('says so when the stored log could not be wiped, and the next worker wipes it before reading', async () => {
    world = await createWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'secret' });
    await until(async () => expect((await stats(world)).log).toMatchObject({ status: 'ok', size: 1 }));
    const failingDelete = vi.spyOn(IDBObjectStore.prototype, 'delete').mockImplementation(() => {
      throw new DOMException('disk error', 'UnknownError');
    });
    try {
      await tab.broker.logout();
    } finally {
      failingDelete.mockRestore();
    }
    await until(() => expect(tab.errors.map((e) => e.code)).toContain('LOG_DEGRADED'));
    expect(tab.errors.find((e) => e.code === 'LOG_DEGRADED')!.message).toMatch(/wipe/);
    await world.broker.shutdown();
    // A new worker, the same user logging in again: the old log must be gone before anything is read.
    await world.restartBroker();
    const next = await world.tab();
    await until(() => expect(next.status).toBe('open'));
    expect(await within(next.broker.recent({}))).toEqual([]);
  });
});
