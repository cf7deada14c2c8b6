/**
 * A tab moving to a new build's broker with channels (the real upgrade path: two brokers, the
 * new build announced on the build radio): while both brokers relay a channel, each message
 * reaches the app once, or the channel's handles are told `complete: false`.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { until } from '../support/broker-world.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';
import { type MoveWorld, type MoveWorldOptions, createMoveWorld } from '../support/move-world.ts';
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
  const handle = tab.broker.channel<string>('feed');
  const seen: string[] = [];
  const resyncs: ChannelResync[] = [];
  handle.on((message) => seen.push(message));
  handle.onResync((signal) => resyncs.push(signal));
  await until(() => expect(handle.state).toBe('subscribed'));
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
});
