/**
 * The broker world over the fake channel backend (channel-server.ts) that the channel tests
 * share: `channelWorlds()` registers their disposal after each test of the file that calls it,
 * and returns how to start one, with the fake dialect (recovering) unless a test gives its own.
 */
import { afterEach } from 'vitest';
import type { ChannelProtocol } from '../../src/broker/protocol/channel-dialect.ts';
import { type World, createWorld } from './broker-world.ts';
import type { TabConfig } from './tab-harness.ts';
import { type ChannelServer, type ChannelServerOptions, startChannelServer } from './channel-server.ts';
import { fakeChannelDialect } from './fake-channel-dialect.ts';

export interface ChannelWorldOptions {
  server?: ChannelServerOptions;
  /** @default fakeChannelDialect({ recovers: true }) */
  protocol?: ChannelProtocol;
  /** Config beside the server's URL. @default { channelLingerMs: 1000 } */
  config?: TabConfig;
}

export function channelWorlds(): (options?: ChannelWorldOptions) => Promise<{ server: ChannelServer; world: World }> {
  let world: World | undefined;
  let server: ChannelServer | undefined;
  afterEach(async () => {
    await world?.dispose();
    await server?.close();
    world = server = undefined;
  });
  return async ({ server: serverOptions = {}, protocol = fakeChannelDialect({ recovers: true }), config = { channelLingerMs: 1000 } } = {}) => {
    server = await startChannelServer(serverOptions);
    world = await createWorld({ deps: { protocol }, config: { url: server.url, ...config } });
    return { server, world };
  };
}
