/**
 * A replaced worker and the channels its tabs bring back: a channel whose tab saw no position is
 * told `complete: false` (messages of the socket's dead time may be gone).
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { type World, createWorld, until } from '../support/broker-world.ts';
import { type ChannelServer, startChannelServer } from '../support/channel-server.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';

let world: World | undefined;
let server: ChannelServer | undefined;
afterEach(async () => {
  await world?.dispose();
  await server?.close();
  world = server = undefined;
});

describe('channels brought back to a replaced worker', () => {
  it('tells complete: false for a channel the tab saw no position of', async () => {
    server = await startChannelServer();
    world = await createWorld({ deps: { protocol: fakeChannelDialect({ recovers: true }) }, config: { url: server.url, channelLingerMs: 1000 } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const handle = tab.broker.channel('results');
    const resyncs: ChannelResync[] = [];
    handle.onResync((signal) => resyncs.push(signal));
    await until(() => expect(handle.state).toBe('subscribed'));
    await world.restartBroker();
    await until(() => expect(server!.count('sub')).toBe(2));
    await until(() => expect(resyncs).toEqual([{ complete: false }]));
  });

});
