/**
 * `pageProtocol` under `sharing: 'leader'`, in Node on the leader world (fake locks, channels and
 * clock, a real Broker per leader): a leader runs its broker with the dialect in code its page
 * loads, only a page that leads loads it, and a loader that fails stops no page but its own.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { BackendProtocol } from '../../../../src/broker/protocol/wire.ts';
import { TabwireError } from '../../../../src/link/errors.ts';
import { createControlClient } from '../../../../src/tab/control-client.ts';
import type { Host } from '../../../../src/tab/hosts/host.ts';
import type { ProtocolLoader } from '../../../../src/tab/hosts/page-protocol.ts';
import { fakeChannelDialect } from '../../../support/fake-channel-dialect.ts';
import { LeaderWorld, type Page, leaderLock } from '../../../support/leader-world.ts';

let world: LeaderWorld;
const hosts: Host[] = [];

afterEach(async () => {
  for (const host of hosts.splice(0)) host.close();
  await world.pass(2000);
});

/** A loader that counts its calls, as an app's `pageProtocol` would be called. */
function loader(protocol: () => Promise<BackendProtocol>) {
  const calls = { count: 0 };
  const load = () => {
    calls.count++;
    return protocol();
  };
  return Object.assign(load, { calls });
}

function open(page: Page, tabId: string, pageProtocol?: ProtocolLoader) {
  const state: { host?: Host; error?: unknown } = {};
  world.host(page, tabId, pageProtocol ? { pageProtocol } : {}).then(
    (host) => {
      hosts.push(host);
      state.host = host;
    },
    (error: unknown) => (state.error = error),
  );
  return state;
}

describe('pageProtocol under sharing: leader', () => {
  it("a leader runs its broker with the page's dialect in code: channel() and request() reach it, not UNSUPPORTED", async () => {
    world = new LeaderWorld();
    const a = world.page();
    const dialect = fakeChannelDialect();
    const tab = open(a, 'tab-a', async () => dialect);
    await world.until(() => tab.host !== undefined, 1000);
    await world.attach(tab.host!, 'tab-a');
    const rpc = createControlClient(tab.host!.control);
    await expect(rpc.call('channel', [{ name: 'room', params: { id: 1 } }])).resolves.toEqual(expect.any(String));
    // The socket never opens in this world: the dialect is there, the connection is not.
    await expect(rpc.call('request', [{ q: 1 }, 1000])).rejects.toMatchObject({ code: 'NOT_READY' });
    expect(a.brokers[0]?.protocol).toBe(dialect);
  });

  it('a follower page never loads the dialect; when it takes over it starts its broker with its own', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const ofA = loader(async () => fakeChannelDialect());
    const dialectOfB = fakeChannelDialect();
    const ofB = loader(async () => dialectOfB);
    const first = open(a, 'tab-a', ofA);
    await world.until(() => first.host !== undefined, 1000);
    const second = open(b, 'tab-b', ofB);
    await world.until(() => second.host !== undefined, 1000);
    expect([ofA.calls.count, ofB.calls.count]).toEqual([1, 0]);
    // The leader's page closes its tab: its candidacy withdraws, b's queued request takes the lock.
    hosts.splice(hosts.indexOf(first.host!), 1)[0]!.close();
    await world.until(() => b.leads(), 3000);
    expect(ofB.calls.count).toBe(1);
    expect(b.brokers[0]?.protocol).toBe(dialectOfB);
  });

  it("a loader that rejects: that page's tab fails WORKER_UNAVAILABLE naming pageProtocol, no broker starts there, and another page leads", async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const failure = new Error('chunk did not load');
    const failing = loader(() => Promise.reject(failure));
    const first = open(a, 'tab-a', failing);
    await world.until(() => first.error !== undefined, 1000);
    expect(first.error).toBeInstanceOf(TabwireError);
    expect(first.error).toMatchObject({ code: 'WORKER_UNAVAILABLE', message: expect.stringContaining('pageProtocol failed: chunk did not load'), cause: failure });
    expect(a.brokers).toEqual([]);
    expect(failing.calls.count).toBe(1);
    // The lock is free again: a page whose dialect loads leads, and a's next try follows it.
    const second = open(b, 'tab-b', async () => fakeChannelDialect());
    await world.until(() => second.host !== undefined, 1000);
    expect(b.leads()).toBe(true);
    const retry = open(a, 'tab-a2', failing);
    await world.until(() => retry.host !== undefined, 1000);
    const { reply } = await world.attach(retry.host!, 'tab-a2');
    expect(reply.brokerId).toBe(b.brokers[0]!.brokerId);
    expect(a.brokers).toEqual([]);
  });

  it('a loader that never settles (a stalled chunk) does not keep the lock: its tab is told WORKER_UNAVAILABLE, and the next try loads again and leads', async () => {
    world = new LeaderWorld();
    const a = world.page();
    const dialect = fakeChannelDialect();
    // The first load stalls for good; the page's next try loads.
    const stallingOnce = loader(() => (stallingOnce.calls.count === 1 ? new Promise<BackendProtocol>(() => {}) : Promise.resolve(dialect)));
    const first = open(a, 'tab-a', stallingOnce);
    const tookMs = await world.until(() => first.error !== undefined || first.host !== undefined, 10_500);
    expect(first.error).toMatchObject({ code: 'WORKER_UNAVAILABLE', message: expect.stringContaining('pageProtocol') });
    // Told before the tab's own wait for a leader (10 s) would end it with a bare TIMEOUT.
    expect(tookMs).toBeLessThan(10_000);
    expect(world.locks.isHeld(leaderLock)).toBe(false);
    expect(a.brokers).toEqual([]);
    const retry = open(a, 'tab-a2', stallingOnce);
    await world.until(() => retry.host !== undefined, 2000);
    const { reply } = await world.attach(retry.host!, 'tab-a2');
    expect(stallingOnce.calls.count).toBe(2);
    expect(reply.brokerId).toBe(a.brokers[0]!.brokerId);
    expect(a.brokers[0]?.protocol).toBe(dialect);
  });

  it('a loader that never settles in one page: another page leads and serves, and that page never starts a broker', async () => {
    world = new LeaderWorld();
    const [a, b] = [world.page(), world.page()];
    const stalled = loader(() => new Promise<BackendProtocol>(() => {}));
    const first = open(a, 'tab-a', stalled);
    await world.pass(100);
    expect(stalled.calls.count).toBe(1);
    const dialect = fakeChannelDialect();
    const second = open(b, 'tab-b', async () => dialect);
    await world.until(() => second.host !== undefined, 9000);
    const { reply } = await world.attach(second.host!, 'tab-b');
    expect(reply.brokerId).toBe(b.brokers[0]!.brokerId);
    expect(b.brokers[0]?.protocol).toBe(dialect);
    await world.pass(10_000);
    expect(a.brokers).toEqual([]);
    expect(b.leads()).toBe(true);
    void first;
  });
});
