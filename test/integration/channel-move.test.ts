/**
 * A tab moving to a new build's broker with channels (the real upgrade path: two brokers, the
 * new build announced on the build radio): while both brokers relay a channel, each message
 * reaches the app once, or the channel's handles are told `complete: false`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { until } from '../support/broker-world.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';
import { type MoveWorld, type MoveWorldOptions, createMoveWorld, watchFeed } from '../support/move-world.ts';
import { channelWorlds } from '../support/channel-world.ts';
import type { ChannelProtocol } from '../../src/broker/protocol/channel-dialect.ts';
import type { TestTab } from '../support/tab-harness.ts';

let world: MoveWorld | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
});

/** How long after a move the old broker is surely left (the tab's overlap is 1 s), in ms. */
const overlapPassedMs = 1500;

/** A tab of the old build holding `feed`, which has seen `a1`. */
async function feedTab(options: MoveWorldOptions = {}) {
  world = await createMoveWorld(options);
  const { server } = world;
  const tab = await world.tab();
  await until(() => expect(tab.status).toBe('open'));
  const { handle, seen, resyncs } = await watchFeed(tab);
  server.publish('feed', 'a1');
  await until(() => expect(seen).toEqual(['a1']));
  return { world, server, tab, handle, seen, resyncs };
}

/** The tab is attached to the new build's broker and its socket holds `feed`. */
async function moved(w: MoveWorld, tab: TestTab): Promise<void> {
  await until(() => expect([...w.next.tabs.all()].map((t) => t.id)).toContain(tab.tabId));
  await until(() => expect(w.server.subscribed().filter((name) => name === 'feed')).toHaveLength(2));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('channels across a move to a new build', () => {
  it('delivers a message both brokers relay during the overlap once', async () => {
    const { world: w, server, tab, seen, resyncs } = await feedTab();
    await w.deploy();
    await moved(w, tab);
    server.publish('feed', 'a2');
    await until(() => expect(seen).toContain('a2'));
    await sleep(overlapPassedMs);
    server.publish('feed', 'a3');
    await until(() => expect(seen).toContain('a3'));
    expect(seen).toEqual(['a1', 'a2', 'a3']);
    // The new broker resumed `feed` from the tab's position: nothing was missed.
    expect(resyncs).toEqual([{ complete: true }]);
  });

  it('tells complete: false for a channel the tab saw no message of, and still delivers each message once', async () => {
    world = await createMoveWorld();
    const w = world;
    const tab = await w.tab();
    await until(() => expect(tab.status).toBe('open'));
    const { seen, resyncs } = await watchFeed(tab);
    await w.deploy();
    await moved(w, tab);
    w.server.publish('feed', 'a1');
    await until(() => expect(seen).toContain('a1'));
    await sleep(overlapPassedMs);
    w.server.publish('feed', 'a2');
    await until(() => expect(seen).toContain('a2'));
    expect(seen).toEqual(['a1', 'a2']);
    expect(resyncs).toEqual([{ complete: false }]);
  });

  it('with a protocol that does not recover: complete: false, and each message once', async () => {
    const { world: w, server, tab, seen, resyncs } = await feedTab({ protocol: fakeChannelDialect({ recovers: false }) });
    await w.deploy();
    await moved(w, tab);
    server.publish('feed', 'a2');
    await until(() => expect(seen).toContain('a2'));
    await sleep(overlapPassedMs);
    server.publish('feed', 'a3');
    await until(() => expect(seen).toContain('a3'));
    expect(seen).toEqual(['a1', 'a2', 'a3']);
    expect(resyncs).toEqual([{ complete: false }]);
  });

  it('joining the channel where a page of the new build holds it at the same position: each message once, nothing to resync', async () => {
    world = await createMoveWorld({ tabs: { upgrade: 'manual' } });
    const w = world;
    const tab = await w.tab();
    const { seen, resyncs } = await watchFeed(tab);
    w.server.publish('feed', 'a1');
    await until(() => expect(seen).toEqual(['a1']));
    // The new build's page holds the channel first (at the position the tab saw); then the tab moves and joins it.
    const page = await w.deploy();
    const theirs = page.broker.channel<string>('feed');
    await until(() => expect(theirs.state).toBe('subscribed'));
    await until(() => expect(tab.broker.upgrade()).resolves.toBe(true));
    w.server.publish('feed', 'a2');
    await until(() => expect(seen).toContain('a2'));
    await sleep(overlapPassedMs);
    w.server.publish('feed', 'a3');
    await until(() => expect(seen).toContain('a3'));
    expect(seen).toEqual(['a1', 'a2', 'a3']);
    expect(resyncs).toEqual([]);
  });

  it('a move given up (the new build never connects) delivers what came meanwhile, in order, once', async () => {
    const { world: w, server, tab, seen, resyncs } = await feedTab({ nextNeverOpens: true, tabs: { callTimeoutMs: 2500 } });
    await w.deploy();
    await until(() => expect([...w.next.tabs.all()].map((t) => t.id)).toContain(tab.tabId));
    // Told as the move is given up: what came meanwhile waited, and is delivered after.
    let seenWhenStaying: string[] | undefined;
    tab.broker.onError(() => void (seenWhenStaying ??= [...seen]));
    server.publish('feed', 'a2');
    server.publish('feed', 'a3');
    await until(() => expect(tab.errors.map((error) => error.message)).toContain('the newer build did not connect; staying'));
    expect(seenWhenStaying).toEqual(['a1']);
    await until(() => expect(seen).toEqual(['a1', 'a2', 'a3']));
    server.publish('feed', 'a4');
    await until(() => expect(seen).toEqual(['a1', 'a2', 'a3', 'a4']));
    expect(resyncs).toEqual([]);
  });

  it('a channel opened while the move is under way is held by the new broker too', async () => {
    const { world: w, server, tab } = await feedTab({ nextOpensAfterMs: 1500 });
    await w.deploy();
    // Attached to the new build's broker, whose socket is not open yet: the move waits.
    await until(() => expect([...w.next.tabs.all()].map((t) => t.id)).toContain(tab.tabId));
    expect(server.subscribed().filter((name) => name === 'feed')).toHaveLength(1);
    const late = tab.broker.channel<string>('late');
    const seen: string[] = [];
    late.on((message) => seen.push(message));
    await moved(w, tab);
    await sleep(overlapPassedMs);
    server.publish('late', 'b1');
    await until(() => expect(seen).toEqual(['b1']));
    expect(late.state).toBe('subscribed');
  });
});

/** The fake dialect, its subscriptions never answered (as graphql-transport-ws): only a message proves one was taken. */
function unanswered(): ChannelProtocol {
  const dialect = fakeChannelDialect({ recovers: false });
  return {
    ...dialect,
    connect(context) {
      const connection = dialect.connect(context);
      return { ...connection, read: (frame) => connection.read(frame).filter((message) => message.kind !== 'channel-subscribed') };
    },
  };
}

describe('channels across a worker lost, where nothing is replayed', () => {
  const channelWorld = channelWorlds();

  /** Two tabs holding `feed`, each having seen `a1`; the worker dies, and the second tab re-attaches after the first. */
  async function secondLater(protocol: ChannelProtocol) {
    const { server, world: w } = await channelWorld({ protocol });
    const tabs = [await w.tab(), await w.tab()];
    const resyncs = tabs.map(() => [] as ChannelResync[]);
    const seen = tabs.map(() => [] as string[]);
    tabs.forEach((tab, i) => {
      const handle = tab.broker.channel<string>('feed');
      handle.on((message) => seen[i]!.push(message));
      handle.onResync((signal) => resyncs[i]!.push(signal));
    });
    await until(() => expect(server.count('sub')).toBe(1));
    server.publish('feed', 'a1');
    await until(() => expect(seen).toEqual([['a1'], ['a1']]));
    const release = tabs[1]!.holdHosts();
    await w.restartBroker();
    await until(() => expect(server.count('sub')).toBe(2));
    await until(() => expect(resyncs[0]).toEqual([{ complete: false }]));
    release();
    await until(() => expect([...w.broker.tabs.all()].map((t) => t.id)).toContain(tabs[1]!.tabId));
    return { server, resyncs, seen };
  }

  it('tells the tab that re-attaches second complete: false too (it brought the position the channel resumed from)', async () => {
    const { resyncs } = await secondLater(fakeChannelDialect({ recovers: false }));
    // Whatever went by while no worker held the channel is gone for both tabs alike.
    await until(() => expect(resyncs).toEqual([[{ complete: false }], [{ complete: false }]]));
  });

  it('tells it at once, with no message to wait for, where subscriptions are never answered', async () => {
    const { server, resyncs, seen } = await secondLater(unanswered());
    await until(() => expect(resyncs).toEqual([[{ complete: false }], [{ complete: false }]]));
    server.publish('feed', 'a2');
    await until(() => expect(seen).toEqual([['a1', 'a2'], ['a1', 'a2']]));
    expect(resyncs).toEqual([[{ complete: false }], [{ complete: false }]]);
  });
});
