/**
 * What a channel dialect is told at `open()` about the channels the browser holds
 * (`DialectContext.held`): after a worker restart, those its tabs re-attached with, and the
 * positions they last saw, so a protocol that resumes its session at connect time (Socket.IO's
 * recovery) can ask for it before any subscribe.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelProtocol, HeldOnSocket } from '../../src/broker/protocol/channel-dialect.ts';
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

/** The fake dialect, recording what each connection was told was held when it opened. */
function recordingDialect(opened: HeldOnSocket[][]): ChannelProtocol {
  const inner = fakeChannelDialect();
  return {
    ...inner,
    connect(context) {
      const connection = inner.connect(context);
      return {
        ...connection,
        open() {
          opened.push(context.held?.().map((h) => structuredClone(h)) ?? []);
          connection.open();
        },
      };
    },
  };
}

describe('the channels held, as a dialect is told at open()', () => {
  it('are, after a worker restart, those the tabs re-attached with, from the positions they last saw', async () => {
    const opened: HeldOnSocket[][] = [];
    server = await startChannelServer();
    world = await createWorld({ deps: { protocol: recordingDialect(opened) }, config: { url: server.url } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    expect(opened).toEqual([[]]);
    const handle = tab.broker.channel<string>('feed', { id: 1 });
    const seen: string[] = [];
    handle.on((message) => seen.push(message));
    await until(() => expect(handle.state).toBe('subscribed'));
    server.publish('feed{"id":1}', 'm1');
    await until(() => expect(seen).toEqual(['m1']));
    await world.restartBroker();
    await until(() => expect(opened).toHaveLength(2));
    expect(opened[1]).toEqual([{ key: expect.any(String), channel: { name: 'feed', params: { id: 1 } }, from: { offset: '1' } }]);
  });
});
