/**
 * Channels never carry one session into the next: after `logout()` a held channel is subscribed
 * afresh (no position of the session that ended), its tabs are told `complete: false`, and a
 * protocol that keeps something across sockets (Socket.IO's recovery session) is told to forget it.
 */
import { describe, expect, it } from 'vitest';
import type { ChannelProtocol, DialectConnection } from '../../src/broker/protocol/channel-dialect.ts';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { until } from '../support/broker-world.ts';
import { channelWorlds } from '../support/channel-world.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';

const channelWorld = channelWorlds();

describe('channels across a logout', () => {
  it('subscribes afresh after logout and a new login, tells complete: false, and has the protocol forget its session', async () => {
    const dialect = fakeChannelDialect({ recovers: true });
    let forgotten = 0;
    const protocol: ChannelProtocol = { ...dialect, connect: (context): DialectConnection => dialect.connect(context), forget: () => void forgotten++ };
    const { server, world } = await channelWorld({ protocol });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    const handle = tab.broker.channel<string>('feed');
    const resyncs: ChannelResync[] = [];
    handle.onResync((signal) => resyncs.push(signal));
    await until(() => expect(handle.state).toBe('subscribed'));
    server.publish('feed', 'a1');
    server.publish('feed', 'a2');
    await until(() => expect(server.count('sub')).toBe(1));
    await tab.broker.logout();
    expect(forgotten).toBe(1);
    tab.broker.reconnect();
    await until(() => expect(server.count('sub')).toBe(2));
    // The new session's subscription asks nothing of the old one's stream.
    expect(server.received.filter((op) => op.op === 'sub').map((op) => op.from)).toEqual([undefined, undefined]);
    await until(() => expect(resyncs).toEqual([{ complete: false }]));
  });
});
