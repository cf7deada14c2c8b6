/**
 * What a tab is told holds against the real broker in Node: a send refused to
 * the app at `close()` never goes out, whichever of the tab's detach and its
 * released lock reaches the broker first.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerStats } from '../../src/broker/broker.ts';
import { type World, createWorld, until } from '../support/broker-world.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

const stats = (w: World) => w.broker.stats() as Promise<BrokerStats>;

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
