/**
 * The leader election (sharing: 'leader') in Node, on fake locks with steal, an
 * in-memory BroadcastChannel bus and a fake clock: who leads, how a frozen
 * leader is replaced, and that nothing a host opened outlives it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { Host } from '../../../../src/tab/hosts/host.ts';
import { LeaderWorld, hostName, leaderLock } from '../../../support/leader-world.ts';

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

  it('a tab that opens while the leader is frozen (it answers nothing) steals and leads within a bounded time', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    a.frozen = true;
    const late = open(b, 'tab-b');
    const tookMs = await world.until(() => late.host !== undefined, 3000);
    expect(tookMs).toBeLessThan(2000);
    expect(b.leads()).toBe(true);
    expect(world.locks.steals).toEqual([leaderLock]);
    // It joined its own page's new leader and can attach to it.
    const { reply } = await world.attach(late.host!, 'tab-b');
    expect(reply.brokerId).toBe(b.brokers[0]!.brokerId);
  });
});

describe('taking over from a frozen leader', () => {
  it('a wall clock set back an hour does not stall the take-over (durations are monotonic)', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    const second = open(b, 'tab-b');
    await world.until(() => second.host !== undefined, 1000);
    world.clock.jumpWall(-3_600_000);
    a.frozen = true;
    expect(await world.until(() => b.leads(), 3000)).toBeLessThan(1500);
  });

  it('two pages opening together while the leader is frozen: one steals, the other joins it', async () => {
    world = new LeaderWorld();
    const a = world.page();
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    a.frozen = true;
    const [b, c] = [world.page({ random: 0.1 }), world.page({ random: 0.9 })];
    const [fromB, fromC] = [open(b, 'tab-b'), open(c, 'tab-c')];
    await world.until(() => fromB.host !== undefined && fromC.host !== undefined, 3000);
    expect(world.locks.steals).toEqual([leaderLock]);
    expect([b.leads(), c.leads()]).toEqual([true, false]);
    const { reply } = await world.attach(fromC.host!, 'tab-c');
    expect(reply.brokerId).toBe(b.brokers[0]!.brokerId);
  });

  it('two tabs of one page opening while the leader is frozen: the page steals once', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    a.frozen = true;
    const [one, two] = [open(b, 'tab-b1'), open(b, 'tab-b2')];
    await world.until(() => one.host !== undefined && two.host !== undefined, 3000);
    expect(world.locks.steals).toEqual([leaderLock]);
    expect(b.brokers).toHaveLength(1);
  });

  it('a tab that only follows (another build) and hears no leader fails with WORKER_LOST instead of waiting forever', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    a.frozen = true;
    const late = open(b, 'tab-b', { follower: true });
    await world.until(() => late.error !== undefined, 3000);
    expect(late.error).toMatchObject({ code: 'WORKER_LOST' });
    expect(world.locks.steals).toEqual([]);
    expect(world.bus.openChannels('tab-b')).toEqual([]);
  });
});

describe('nothing a host opened outlives it', () => {
  it('retries against a frozen leader leave no channel open and no timer probing', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    a.frozen = true;
    for (let attempt = 0; attempt < 3; attempt++) {
      const late = open(b, `tab-b${attempt}`, { follower: true });
      await world.until(() => late.error !== undefined, 3000);
    }
    expect(world.bus.openChannels().filter((channel) => channel.page === b)).toEqual([]);
    const probes = world.said('probe');
    await world.pass(5000);
    expect(world.said('probe')).toBe(probes);
  });

  it('close() of a joined host closes its three channels and stops its watch', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    const second = open(b, 'tab-b');
    await world.until(() => second.host !== undefined, 1000);
    second.host!.close();
    expect(world.bus.openChannels().filter((channel) => channel.page === b)).toEqual([]);
    // Its watch would probe and steal from a silent leader: closed, it does neither.
    a.frozen = true;
    const probes = world.said('probe');
    await world.pass(3000);
    expect(world.said('probe')).toBe(probes);
    expect(world.locks.steals).toEqual([]);
  });

  it('a tab never taken by any leader (nobody stands, nobody answers) gives up within 10 s with TIMEOUT, leaving nothing open', async () => {
    world = new LeaderWorld();
    const b = world.page();
    // A leader that says `here` but never takes anyone: only joins go unanswered.
    const hello = new (world.page().Channel)(`${hostName}|hello`);
    hello.addEventListener('message', (event) => {
      if ((event.data as { k: string }).k === 'probe') hello.postMessage({ k: 'here', id: 'deaf' });
    });
    const late = open(b, 'tab-b', { follower: true });
    const tookMs = await world.until(() => late.error !== undefined, 12_000);
    expect(tookMs).toBeGreaterThanOrEqual(10_000);
    expect(late.error).toMatchObject({ code: 'TIMEOUT' });
    expect(world.bus.openChannels().filter((channel) => channel.page === b)).toEqual([]);
    hello.close();
  });
});

describe("the leader's channels per follower", () => {
  /** The leader page's open channels serving `tabId`. */
  const served = (page: ReturnType<LeaderWorld['page']>, tabId: string) =>
    world.bus.openChannels(`|${tabId}`).filter((channel) => channel.page === page);

  it('a follower that joins but never attaches has its pair closed after a few seconds', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    const second = open(b, 'tab-b');
    await world.until(() => second.host !== undefined, 1000);
    expect(served(a, 'tab-b')).toHaveLength(2);
    await world.pass(6000);
    expect(served(a, 'tab-b')).toEqual([]);
  });

  it('a follower that attached keeps its pair while it lives, and loses it when its tab dies', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    const second = open(b, 'tab-b');
    await world.until(() => second.host !== undefined, 1000);
    const { die } = await world.attach(second.host!, 'tab-b');
    await world.pass(10_000);
    expect(served(a, 'tab-b')).toHaveLength(2);
    die();
    await world.pass(1500);
    expect(served(a, 'tab-b')).toEqual([]);
  });

  it('a follower joining again gets a fresh pair; the attach on it is kept, the old pair closed', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const first = open(a, 'tab-a');
    await world.until(() => first.host !== undefined, 1000);
    const once = open(b, 'tab-b');
    await world.until(() => once.host !== undefined, 1000);
    await world.attach(once.host!, 'tab-b');
    once.host!.close();
    const again = open(b, 'tab-b');
    await world.until(() => again.host !== undefined, 1000);
    await world.attach(again.host!, 'tab-b');
    await world.pass(10_000);
    expect(served(a, 'tab-b')).toHaveLength(2);
    expect(a.brokers[0]!.broker.tabs.get('tab-b')).toBeDefined();
  });
});
