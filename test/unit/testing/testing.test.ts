/** `tabwire/testing`'s memory broker: the whole `Broker`, played by the test. */
import { describe, expect, it } from 'vitest';
import { createMemoryBroker } from '../../../src/testing.ts';

describe('createMemoryBroker', () => {
  it('hands emitted events to the handlers whose pattern matches, control types only to their exact pattern', () => {
    const broker = createMemoryBroker();
    const seen: string[] = [];
    broker.on('goal.*', (event) => seen.push(`goal.*:${event.type}`));
    broker.on('*', (event) => seen.push(`*:${event.type}`));
    broker.on('auth.error', (event) => seen.push(`auth.error:${event.type}`));
    broker.emit('goal.created', { goalId: 'g1' });
    broker.emit('issue.created', { issueId: 'i1' });
    broker.emit('auth.error', { code: 'UNAUTHORIZED' });
    expect(seen).toEqual(['goal.*:goal.created', '*:goal.created', '*:issue.created', 'auth.error:auth.error']);
    expect(broker.listeners('event')).toBe(3);
  });

  it('keeps on() until its function is called or its signal aborts, and once() for the next event', async () => {
    const broker = createMemoryBroker();
    const controller = new AbortController();
    const seen: string[] = [];
    broker.on('goal.*', (event) => seen.push(event.type), { signal: controller.signal });
    broker.on('goal.*', (event) => seen.push(`never:${event.type}`), { signal: AbortSignal.abort() });
    const next = broker.once('goal.completed');
    expect(broker.listeners('event')).toBe(2);
    broker.emit('goal.created');
    broker.emit('goal.completed', { goalId: 'g1' });
    expect((await next).data).toEqual({ goalId: 'g1' });
    controller.abort();
    broker.emit('goal.created');
    expect(seen).toEqual(['goal.created', 'goal.completed']);
    expect(broker.listeners('event')).toBe(0);
    await expect(broker.once('goal.*', { signal: AbortSignal.abort(new Error('gone')) })).rejects.toThrowError('gone');
  });

  it('follows the state it is given: onState, connected, and the reason a real broker would give', async () => {
    const idle = createMemoryBroker({ state: 'idle' });
    const states: string[] = [];
    idle.onState((next, prev, reason) => states.push(`${prev}→${next} (${reason})`));
    expect([idle.state, idle.reason]).toEqual(['idle', 'initial']);
    idle.setState('connecting');
    idle.setState('open');
    await idle.connected;
    expect(states).toEqual(['idle→connecting (tab-attached)', 'connecting→open (auth-accepted)']);
    const refused = createMemoryBroker({ state: 'idle' });
    refused.setState('unauthorized', 'refresh-failed');
    await expect(refused.connected).rejects.toMatchObject({ code: 'UNAUTHORIZED' });
    await expect(createMemoryBroker().connected).resolves.toBeUndefined();
  });

  it('answers recent() from what was emitted, as the log does (type, since, limit; oldest first)', async () => {
    const broker = createMemoryBroker();
    broker.emit('goal.created', { n: 1 }, { timestamp: '2025-01-01T00:00:01.000Z' });
    broker.emit('issue.created', { n: 2 }, { timestamp: '2025-01-01T00:00:02.000Z' });
    broker.emit('goal.completed', { n: 3 }, { timestamp: new Date('2025-01-01T00:00:03.000Z') });
    broker.emit('goal.created', { n: 4 }, { timestamp: '2025-01-01T00:00:04.000Z' });
    const data = async (query: Parameters<typeof broker.recent>[0]) => (await broker.recent(query)).map((event) => event.data);
    expect(await data({ type: 'goal.*' })).toEqual([{ n: 1 }, { n: 3 }, { n: 4 }]);
    expect(await data({ type: 'goal.*', limit: 2 })).toEqual([{ n: 3 }, { n: 4 }]);
    expect(await data({ since: '2025-01-01T00:00:02.000Z' })).toEqual([{ n: 3 }, { n: 4 }]);
    await expect(broker.recent({ type: 'goal*' })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT' });
    // Events of one instant in the order emitted; one emitted twice, once.
    const at = { timestamp: '2025-01-01T00:00:05.000Z' };
    for (const n of [5, 6, 7, 6]) broker.emit('action.created', { n }, at);
    expect(await data({ type: 'action.created' })).toEqual([{ n: 5 }, { n: 6 }, { n: 7 }]);
    await broker.logout();
    expect([broker.state, broker.reason]).toEqual(['closed', 'logout']);
    expect(await broker.recent()).toEqual([]);
  });

  it('records sends, tells resyncs, errors and builds, and counts every call', async () => {
    const broker = createMemoryBroker();
    const told: string[] = [];
    broker.onResync((signal) => told.push(`resync:${signal.reason}:${signal.complete}`));
    broker.onError((error) => told.push(`error:${error.code}:${error instanceof Error}`));
    broker.onUpgrade((notice) => told.push(`upgrade:${notice.buildId}`));
    expect(await broker.send({ action: 'typing' }, { volatile: true })).toBe(true);
    expect(broker.sent).toEqual([{ message: { action: 'typing' }, options: { volatile: true } }]);
    broker.resync({ reason: 'offline' });
    broker.fail({ code: 'SERVER_ERROR', message: 'boom', serverCode: 'X' });
    expect(await broker.upgrade()).toBe(false);
    broker.announce({ buildId: 'b2', mode: 'worker', compatible: true });
    expect(await broker.upgrade()).toBe(true);
    expect(told).toEqual(['resync:offline:false', 'error:SERVER_ERROR:true', 'upgrade:b2']);
    expect(await broker.stats()).toMatchObject({ state: 'open', sent: 1 });
    expect((await broker.debug()).stats.state).toBe('open');
    expect(broker.calls).toMatchObject({ send: 1, upgrade: 2, stats: 1, debug: 1, onResync: 1 });
  });

  it('after close(), refuses what the client refuses with CLOSED', async () => {
    const broker = createMemoryBroker();
    const pending = broker.once('goal.created');
    broker.close();
    expect(broker.closed).toBe(true);
    await expect(pending).rejects.toMatchObject({ code: 'CLOSED' });
    expect(() => broker.on('goal.created', () => {})).toThrowError('this broker was closed');
    await expect(broker.send({})).rejects.toMatchObject({ code: 'CLOSED' });
    expect([broker.state, broker.reason]).toEqual(['closed', 'closed-by-tab']);
  });
});
