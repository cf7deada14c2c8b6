/**
 * Channels through the real broker and real tabs, against a channel backend on loopback: one
 * server subscription per distinct channel for the whole browser, messages only to the tabs
 * holding it, unsubscribed after a linger once the last tab let go, resubscribed once after a
 * drop from its position with a per-channel resync, errors kept to one channel; and requests
 * over the shared socket answered to the asking tab only.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelHandle, ChannelMeta, ChannelResync } from '../../src/tab/channels.ts';
import type { TabwireError } from '../../src/link/errors.ts';
import { type TestTab, createWorld, until } from '../support/broker-world.ts';
import type { ChannelServerOptions } from '../support/channel-server.ts';
import { channelWorlds } from '../support/channel-world.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';

const startWorld = channelWorlds();

/** Wide enough that a tab attaching on a loaded machine comes back within it. */
const lingerMs = 1000;

async function channelWorld(serverOptions: ChannelServerOptions = {}, recovers = true) {
  return startWorld({ server: serverOptions, protocol: fakeChannelDialect({ recovers }), config: { channelLingerMs: lingerMs } });
}

/** A handle recording what it is told. */
function watch<T = unknown>(handle: ChannelHandle<T>) {
  const seen = { messages: [] as T[], metas: [] as ChannelMeta[], resyncs: [] as ChannelResync[], errors: [] as TabwireError[], states: [] as string[] };
  handle.on((message, meta) => {
    seen.messages.push(message);
    seen.metas.push(meta);
  });
  handle.onResync((signal) => seen.resyncs.push(signal));
  handle.onError((error) => seen.errors.push(error));
  handle.onState((state) => seen.states.push(state));
  return seen;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const open = async (tabs: TestTab[]) => until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));

describe('channels shared by the tabs of a browser', () => {
  it('subscribes once per distinct channel across three tabs, and routes messages only to the tabs holding each', async () => {
    const { server, world } = await channelWorld();
    const tabs = [await world.tab(), await world.tab(), await world.tab()];
    await open(tabs);
    const [a, b, c] = tabs.map((tab, i) => tab.broker.channel<string>('room', { id: i < 2 ? 1 : 2 }));
    const seen = [a!, b!, c!].map((handle) => watch(handle));
    await until(() => expect([a!.state, b!.state, c!.state]).toEqual(['subscribed', 'subscribed', 'subscribed']));
    expect(a!.key).toBe(b!.key);
    expect(server.count('sub')).toBe(2);
    expect(server.count('sub', 'room{"id":1}')).toBe(1);
    server.publish('room{"id":1}', 'one');
    server.publish('room{"id":2}', 'two');
    await until(() => expect(seen.map((s) => s.messages)).toEqual([['one'], ['one'], ['two']]));
    expect(seen[0]!.metas).toEqual([{ position: { offset: '1' } }]);
    // Nothing of channels reaches a tab as an event.
    expect(tabs.flatMap((t) => t.events)).toEqual([]);
  });

  it('shares one registration between two handles of one tab', async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await open([tab]);
    const first = tab.broker.channel('room', { b: 1, a: 2 });
    const second = tab.broker.channel('room', { a: 2, b: 1 });
    await until(() => expect(second.state).toBe('subscribed'));
    first.unsubscribe();
    expect(first.state).toBe('closed');
    await sleep(lingerMs + 300);
    expect([server.count('sub'), server.count('unsub')]).toEqual([1, 0]);
    second.unsubscribe();
    await until(() => expect(server.count('unsub')).toBe(1));
  });

  it('unsubscribes after the linger once the last tab let go, and not when a tab reloads within it', async () => {
    const { server, world } = await channelWorld();
    const [t1, t2] = [await world.tab(), await world.tab()];
    await open([t1, t2]);
    const h1 = t1.broker.channel('news');
    const h2 = t2.broker.channel('news');
    await until(() => expect(h2.state).toBe('subscribed'));
    h1.unsubscribe();
    await sleep(lingerMs + 300);
    expect(server.count('unsub')).toBe(0);
    // The last holder reloads: its page dies, the new one takes the channel back within the linger.
    const t3 = await world.tab();
    await open([t3]);
    t2.crash();
    const h3 = t3.broker.channel('news');
    await until(() => expect(h3.state).toBe('subscribed'));
    await sleep(lingerMs + 300);
    expect([server.count('sub'), server.count('unsub')]).toEqual([1, 0]);
    // A tab that dies lets go of its channels.
    t3.crash();
    await until(() => expect(server.count('unsub')).toBe(1));
    expect(server.subscribed()).toEqual([]);
  });

  it('resubscribes each channel once after a drop, from its position, and tells its tabs complete', async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await open([tab]);
    const handle = tab.broker.channel<string>('feed');
    const seen = watch(handle);
    await until(() => expect(handle.state).toBe('subscribed'));
    server.publish('feed', 'm1');
    server.publish('feed', 'm2');
    await until(() => expect(seen.messages).toEqual(['m1', 'm2']));
    server.drop();
    // Published while no socket held it: the server's history keeps it.
    server.publish('feed', 'm3');
    await until(() => expect(seen.resyncs).toEqual([{ complete: true }]));
    expect(seen.messages).toEqual(['m1', 'm2', 'm3']);
    expect(seen.metas[2]).toEqual({ position: { offset: '3' }, replayed: true });
    expect(server.received.filter((op) => op.op === 'sub').map((op) => op.from)).toEqual([undefined, '2']);
    server.publish('feed', 'm4');
    await until(() => expect(seen.messages).toEqual(['m1', 'm2', 'm3', 'm4']));
    expect(seen.metas[3]).toEqual({ position: { offset: '4' } });
    expect(seen.resyncs).toHaveLength(1);
  });

  it('tells complete: false when the server could not recover, or the protocol does not', async () => {
    const { server, world } = await channelWorld({ recover: false });
    const tab = await world.tab();
    await open([tab]);
    const handle = tab.broker.channel('feed');
    const seen = watch(handle);
    await until(() => expect(handle.state).toBe('subscribed'));
    server.publish('feed', 'm1');
    await until(() => expect(seen.messages).toHaveLength(1));
    server.drop();
    await until(() => expect(seen.resyncs).toEqual([{ complete: false }]));
    await world.dispose();
    await server.close();

    const other = await channelWorld({}, false);
    const tab2 = await other.world.tab();
    await open([tab2]);
    const h2 = tab2.broker.channel('feed');
    const seen2 = watch(h2);
    await until(() => expect(h2.state).toBe('subscribed'));
    other.server.publish('feed', 'm1');
    await until(() => expect(seen2.messages).toHaveLength(1));
    other.server.drop();
    await until(() => expect(other.server.count('sub')).toBe(2));
    await until(() => expect(seen2.resyncs).toEqual([{ complete: false }]));
    // Without recovery nothing is asked from a position.
    expect(other.server.received.filter((op) => op.op === 'sub').map((op) => op.from)).toEqual([undefined, undefined]);
  });

  it("keeps a channel's error to its own tabs, as CHANNEL_ERROR with the server's code", async () => {
    const { server, world } = await channelWorld();
    const [t1, t2] = [await world.tab(), await world.tab()];
    await open([t1, t2]);
    const bad = t1.broker.channel('secret');
    const good = t2.broker.channel('public');
    const badSeen = watch(bad);
    const goodSeen = watch(good);
    await until(() => expect([bad.state, good.state]).toEqual(['subscribed', 'subscribed']));
    server.fail('secret', 'DENIED');
    await until(() => expect(bad.state).toBe('error'));
    expect(badSeen.errors.map((e) => [e.code, e.serverCode])).toEqual([['CHANNEL_ERROR', 'DENIED']]);
    server.publish('public', 'still here');
    await until(() => expect(goodSeen.messages).toEqual(['still here']));
    expect(good.state).toBe('subscribed');
    expect(goodSeen.errors).toEqual([]);
    expect([...t1.errors, ...t2.errors]).toEqual([]);
  });

  it('holds its channels across a worker replacement, resuming from the position the tab last saw', async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await open([tab]);
    const handle = tab.broker.channel<string>('feed');
    const seen = watch(handle);
    await until(() => expect(handle.state).toBe('subscribed'));
    server.publish('feed', 'm1');
    await until(() => expect(seen.messages).toEqual(['m1']));
    await world.restartBroker();
    server.publish('feed', 'm2');
    await until(() => expect(seen.messages).toEqual(['m1', 'm2']));
    await until(() => expect(seen.resyncs).toEqual([{ complete: true }]));
    expect(server.received.filter((op) => op.op === 'sub').map((op) => op.from)).toEqual([undefined, '1']);
  });
});

describe('requests over the shared socket', () => {
  it("answers each tab's request to that tab only", async () => {
    const { world } = await channelWorld();
    const [t1, t2] = [await world.tab(), await world.tab()];
    await open([t1, t2]);
    const answers = await Promise.all([t1.broker.request({ n: 1 }), t2.broker.request({ n: 2 }), t1.broker.request({ n: 3 })]);
    expect(answers).toEqual([{ echo: { n: 1 } }, { echo: { n: 2 } }, { echo: { n: 3 } }]);
    await expect(t2.broker.request({ fail: true })).rejects.toMatchObject({ code: 'REQUEST_FAILED', serverCode: 'NOPE' });
  });

  it('times out, aborts, and fails what is in flight when the socket drops', async () => {
    const { server, world } = await channelWorld({ answerRequests: false });
    const tab = await world.tab();
    await open([tab]);
    await expect(tab.broker.request({ n: 1 }, { timeoutMs: 100 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    const abort = new AbortController();
    const aborted = tab.broker.request({ n: 2 }, { signal: abort.signal });
    abort.abort(new Error('the user left'));
    await expect(aborted).rejects.toThrow('the user left');
    const inFlight = tab.broker.request({ n: 3 }, { timeoutMs: 5000 });
    await until(() => expect(server.count('req')).toBe(3));
    server.drop();
    await expect(inFlight).rejects.toMatchObject({ code: 'CONNECTION_LOST' });
  });

  it('refuses channels and requests where the dialect has no channel seam', async () => {
    const world = await createWorld();
    try {
      const tab = await world.tab();
      await open([tab]);
      await expect(tab.broker.request({ n: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
      const handle = tab.broker.channel('room');
      const seen = watch(handle);
      await until(() => expect(handle.state).toBe('error'));
      expect(seen.errors.map((e) => e.code)).toEqual(['UNSUPPORTED']);
    } finally {
      await world.dispose();
    }
  });
});
