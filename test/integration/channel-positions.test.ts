/**
 * A tab's channel positions belong to the session they were seen in: after a logout or a
 * `session-changed` resync the tab forgets them, so a later worker replacement never resumes
 * another session's stream from them.
 */
import { describe, expect, it } from 'vitest';
import type { ResyncSignal } from '../../src/link/states.ts';
import { until } from '../support/broker-world.ts';
import type { ChannelServer, ChannelServerOptions } from '../support/channel-server.ts';
import { channelWorlds } from '../support/channel-world.ts';

const startWorld = channelWorlds();

async function channelWorld(serverOptions: ChannelServerOptions = {}) {
  const { server, world } = await startWorld({ server: serverOptions });
  const tab = await world.tab();
  await until(() => expect(tab.status).toBe('open'));
  const handle = tab.broker.channel<string>('feed');
  const seen: string[] = [];
  handle.on((message) => seen.push(message));
  await until(() => expect(handle.state).toBe('subscribed'));
  server.publish('feed', 'a1');
  await until(() => expect(seen).toEqual(['a1']));
  return { server, world, tab, handle };
}

const froms = (server: ChannelServer) => server.received.filter((op) => op.op === 'sub').map((op) => op.from);

describe("a tab's channel positions across sessions", () => {
  it('are forgotten at logout: a worker replaced after the next login resumes nothing of them', async () => {
    const { server, world, tab } = await channelWorld();
    await tab.broker.logout();
    tab.broker.reconnect();
    await until(() => expect(tab.status).toBe('open'));
    await until(() => expect(server.count('sub')).toBe(2));
    await world.restartBroker();
    await until(() => expect(server.count('sub')).toBe(3));
    expect(froms(server)).toEqual([undefined, undefined, undefined]);
  });

  it('are forgotten when the tab is told the session changed', async () => {
    let user = 'u1';
    const { server, world, tab } = await channelWorld({ user: () => user });
    const resyncs: ResyncSignal[] = [];
    tab.broker.onResync((signal) => resyncs.push(signal));
    user = 'u2';
    server.drop();
    await until(() => expect(resyncs.map((signal) => signal.reason)).toContain('session-changed'));
    await until(() => expect(server.count('sub')).toBe(2));
    await world.restartBroker();
    await until(() => expect(server.count('sub')).toBe(3));
    expect(froms(server)).toEqual([undefined, undefined, undefined]);
  });
});
