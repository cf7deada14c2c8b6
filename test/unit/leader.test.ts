/**
 * The leader election (sharing: 'leader') in Node, on fake locks with steal, an
 * in-memory BroadcastChannel bus and a fake clock: who leads, how a frozen
 * leader is replaced, and that nothing a host opened outlives it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Host } from '../../src/host.ts';
import { LeaderWorld, leaderLock } from '../support/leader-world.ts';

let world: LeaderWorld;
const hosts: Host[] = [];

afterEach(async () => {
  for (const host of hosts.splice(0)) host.close();
  // Let candidacies withdraw and their brokers stop.
  await world.pass(2000);
});

/** A tab of `page` finds the leader; settles only once it joined one (or gave up). */
function open(page: ReturnType<LeaderWorld['page']>, tabId: string, options: { follower?: boolean } = {}) {
  const opening = world.host(page, tabId, options);
  const state: { host?: Host; error?: unknown } = {};
  opening.then(
    (host) => {
      hosts.push(host);
      state.host = host;
    },
    (error: unknown) => (state.error = error),
  );
  return state;
}

describe('leader election', () => {
  it('the first tab leads; a second page follows it', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    expect(a.leads()).toBe(true);
    const second = open(b, 'tab-b');
    await world.until(() => second.host !== undefined, 1000);
    expect(b.leads()).toBe(false);
    expect(world.locks.steals).toEqual([]);
    const { reply } = await world.attach(second.host!, 'tab-b');
    expect(reply.brokerId).toBe(a.brokers[0]!.brokerId);
  });

  it('a frozen leader: a tab that already follows it steals the lead within about a second', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    const second = open(b, 'tab-b');
    await world.until(() => second.host !== undefined, 1000);
    a.frozen = true;
    const tookMs = await world.until(() => b.leads(), 3000);
    expect(tookMs).toBeLessThan(1500);
    expect(world.locks.steals).toEqual([leaderLock]);
  });
});
