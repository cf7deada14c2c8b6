/**
 * The Centrifugo-like worker entry of docs/protocols.md (demo/centrifugo-protocol.ts, the very code
 * the docs show) through the real broker and real tabs, against a backend written from that
 * protocol's description alone (test/support/centrifugo-like-server.ts): token connect, one
 * subscribe shared by the tabs, pushes routed, recovery by offset and epoch after a drop, recovery
 * refused when the history was trimmed or the epoch changed, rpc, and a refused subscribe kept to
 * its channel.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { centrifugoProtocol } from '../../demo/centrifugo-protocol.ts';
import type { ChannelHandle, ChannelMeta, ChannelResync } from '../../src/tab/channels.ts';
import type { TabwireError } from '../../src/link/errors.ts';
import { type TestTab, type World, createWorld, until } from '../support/broker-world.ts';
import { type CentrifugoLikeOptions, type CentrifugoLikeServer, startCentrifugoLikeServer } from '../support/centrifugo-like-server.ts';

let world: World | undefined;
let server: CentrifugoLikeServer | undefined;
afterEach(async () => {
  await world?.dispose();
  await server?.close();
  world = server = undefined;
});

async function centrifugoWorld(options: CentrifugoLikeOptions = {}) {
  server = await startCentrifugoLikeServer(options);
  world = await createWorld({ deps: { protocol: centrifugoProtocol }, config: { url: server.url } });
  return { server, world };
}

function watch<T = unknown>(handle: ChannelHandle<T>) {
  const seen = { messages: [] as T[], metas: [] as ChannelMeta[], resyncs: [] as ChannelResync[], errors: [] as TabwireError[] };
  handle.on((message, meta) => {
    seen.messages.push(message);
    seen.metas.push(meta);
  });
  handle.onResync((signal) => seen.resyncs.push(signal));
  handle.onError((error) => seen.errors.push(error));
  return seen;
}

const open = async (tabs: TestTab[]) => until(() => expect(tabs.every((t) => t.status === 'open')).toBe(true));
const subscribed = async (handles: ChannelHandle[]) => until(() => expect(handles.map((h) => h.state)).toEqual(handles.map(() => 'subscribed')));

/** Two tabs holding `news`, with m1 and m2 received, ready for a drop. */
async function twoTabsOnNews(options: CentrifugoLikeOptions = {}) {
  const { server, world } = await centrifugoWorld(options);
  const tabs = [await world.tab(), await world.tab()];
  await open(tabs);
  const handles = tabs.map((tab) => tab.broker.channel<string>('news'));
  const seen = handles.map((handle) => watch(handle));
  await subscribed(handles);
  server.publish('news', 'm1');
  server.publish('news', 'm2');
  await until(() => expect(seen.map((s) => s.messages)).toEqual([['m1', 'm2'], ['m1', 'm2']]));
  return { server, world, tabs, handles, seen };
}

describe('a Centrifugo-like backend through the worker entry of docs/protocols.md', () => {
  it("connects with the tab's token, renewing it when the server says it expired", async () => {
    let refusals = 1;
    const { server, world } = await centrifugoWorld({ acceptToken: () => refusals-- <= 0 });
    const tab = await world.tab();
    await open([tab]);
    expect(server.tokens).toHaveLength(2);
    expect(server.tokens[0]).not.toBe('');
    expect(server.tokens[1]).not.toBe(server.tokens[0]);
    // Error 109 reads as UNAUTHORIZED: reported once, then one refresh and a new connect.
    expect(tab.errors.map((e) => [e.code, e.serverCode])).toEqual([['SERVER_ERROR', 'UNAUTHORIZED']]);
    expect(JSON.stringify(tab.errors)).not.toContain(server.tokens[0]);
  });

  it('subscribes once for two tabs, routes pushes to the tabs holding the channel, and answers server pings', async () => {
    const { server, world } = await centrifugoWorld({ pingIntervalMs: 50 });
    const tabs = [await world.tab(), await world.tab(), await world.tab()];
    await open(tabs);
    const [a, b, c] = [tabs[0]!.broker.channel<string>('news'), tabs[1]!.broker.channel<string>('news'), tabs[2]!.broker.channel<string>('sport')];
    const seen = [a, b, c].map((handle) => watch(handle));
    await subscribed([a, b, c]);
    expect([server.connections(), server.count('subscribe', 'news'), server.count('subscribe', 'sport')]).toEqual([1, 1, 1]);
    server.publish('news', 'n1');
    server.publish('sport', 's1');
    await until(() => expect(seen.map((s) => s.messages)).toEqual([['n1'], ['n1'], ['s1']]));
    expect(seen[0]!.metas).toEqual([{ position: { offset: '1', epoch: server.epoch('news') } }]);
    await until(() => expect(server.pongs()).toBeGreaterThan(0));
    expect(tabs.flatMap((t) => [...t.errors, ...t.events])).toEqual([]);
  });

  it('after a drop resubscribes with recover, offset and epoch, and replays what was missed once, complete', async () => {
    const { server, handles, seen } = await twoTabsOnNews();
    server.drop();
    server.publish('news', 'm3');
    server.publish('news', 'm4');
    await until(() => expect(seen.map((s) => s.resyncs)).toEqual([[{ complete: true }], [{ complete: true }]]));
    expect(seen.map((s) => s.messages)).toEqual([
      ['m1', 'm2', 'm3', 'm4'],
      ['m1', 'm2', 'm3', 'm4'],
    ]);
    expect(seen[0]!.metas.slice(2)).toEqual([
      { position: { offset: '3', epoch: server.epoch('news') }, replayed: true },
      { position: { offset: '4', epoch: server.epoch('news') }, replayed: true },
    ]);
    const subscribes = server.commands.filter((c) => c.method === 'subscribe').map((c) => c.params);
    expect(subscribes).toEqual([{ channel: 'news' }, { channel: 'news', recover: true, offset: 2, epoch: server.epoch('news') }]);
    // The replayed publications and the subscribe answer came in one frame, newline-separated.
    expect(server.batchedFrames()).toBeGreaterThan(0);
    server.publish('news', 'm5');
    await until(() => expect(seen[1]!.messages).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']));
    expect(seen[1]!.metas[4]).toEqual({ position: { offset: '5', epoch: server.epoch('news') } });
    expect(handles.map((h) => h.state)).toEqual(['subscribed', 'subscribed']);
  });

  it('tells complete: false when the history no longer reaches back to the offset', async () => {
    const { server, seen } = await twoTabsOnNews({ historySize: 2 });
    server.drop();
    for (const text of ['m3', 'm4', 'm5']) server.publish('news', text);
    await until(() => expect(seen.map((s) => s.resyncs)).toEqual([[{ complete: false }], [{ complete: false }]]));
    expect(seen[0]!.messages).toEqual(['m1', 'm2']);
    server.publish('news', 'm6');
    await until(() => expect(seen[0]!.messages).toEqual(['m1', 'm2', 'm6']));
  });

  it('tells complete: false when the server restarted with a new epoch', async () => {
    const { server, seen } = await twoTabsOnNews();
    const before = server.epoch('news');
    server.restart();
    await until(() => expect(seen.map((s) => s.resyncs)).toEqual([[{ complete: false }], [{ complete: false }]]));
    expect(server.epoch('news')).not.toBe(before);
    expect(server.commands.filter((c) => c.method === 'subscribe').at(-1)!.params).toEqual({ channel: 'news', recover: true, offset: 2, epoch: before });
    server.publish('news', 'fresh');
    await until(() => expect(seen[0]!.messages).toEqual(['m1', 'm2', 'fresh']));
    expect(seen[0]!.metas[2]).toEqual({ position: { offset: '1', epoch: server.epoch('news') } });
  });

  it('answers rpc through request(), to the asking tab, with errors as REQUEST_FAILED', async () => {
    const { world } = await centrifugoWorld();
    const [t1, t2] = [await world.tab(), await world.tab()];
    await open([t1, t2]);
    const answers = await Promise.all([t1.broker.request({ method: 'echo', data: { n: 1 } }), t2.broker.request({ method: 'echo', data: { n: 2 } })]);
    expect(answers).toEqual([{ echo: { n: 1 } }, { echo: { n: 2 } }]);
    await expect(t1.broker.request({ method: 'nope' })).rejects.toMatchObject({ code: 'REQUEST_FAILED', serverCode: '104' });
  });

  it('keeps a refused subscribe to its own channel', async () => {
    const { server, world } = await centrifugoWorld({ denied: ['secret'] });
    const [t1, t2] = [await world.tab(), await world.tab()];
    await open([t1, t2]);
    const bad = t1.broker.channel('secret');
    const good = t2.broker.channel<string>('news');
    const [badSeen, goodSeen] = [watch(bad), watch(good)];
    await until(() => expect([bad.state, good.state]).toEqual(['error', 'subscribed']));
    expect(badSeen.errors.map((e) => [e.code, e.serverCode])).toEqual([['CHANNEL_ERROR', '103']]);
    server.publish('news', 'still here');
    await until(() => expect(goodSeen.messages).toEqual(['still here']));
    expect([...t1.errors, ...t2.errors, ...goodSeen.errors]).toEqual([]);
  });
});
