/**
 * A replaced worker and the channels its tabs bring back: a channel whose tab saw no position is
 * told `complete: false` (messages of the socket's dead time may be gone).
 */
import { describe, expect, it } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { until } from '../support/broker-world.ts';
import { channelWorlds } from '../support/channel-world.ts';

const channelWorld = channelWorlds();

describe('channels brought back to a replaced worker', () => {
  it('tells complete: false for a channel the tab saw no position of', async () => {
    const { server, world } = await channelWorld();
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const handle = tab.broker.channel('results');
    const resyncs: ChannelResync[] = [];
    handle.onResync((signal) => resyncs.push(signal));
    await until(() => expect(handle.state).toBe('subscribed'));
    await world.restartBroker();
    await until(() => expect(server.count('sub')).toBe(2));
    await until(() => expect(resyncs).toEqual([{ complete: false }]));
  });
});
