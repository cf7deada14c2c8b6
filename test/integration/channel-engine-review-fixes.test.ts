/**
 * The engine with a channel dialect that says what the engine must survive: a refusal or a
 * namespace's disconnect while the connection is open, channel data JSON cannot hold, a tab's
 * `send()` the dialect cannot frame (or has no `send` for), and error text that is not a string.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import type { ChannelProtocol, DialectConnection, DialectMessage } from '../../src/broker/protocol/channel-dialect.ts';
import { type World, createWorld, until, worldStats } from '../support/broker-world.ts';
import { type ChannelServer, startChannelServer } from '../support/channel-server.ts';
import { fakeChannelDialect } from '../support/fake-channel-dialect.ts';

let world: World | undefined;
let server: ChannelServer | undefined;
afterEach(async () => {
  await world?.dispose();
  await server?.close();
  world = server = undefined;
});

/**
 * The fake dialect, reading besides its own frames `BIG|<channel>|<other channel>` (a channel
 * message holding a BigInt for the one, and a plain one for the other, in the same task), `ODD` (an error whose code and message are not strings), and without `send` on request.
 */
function oddDialect(options: { noSend?: boolean; sendThrows?: boolean } = {}): ChannelProtocol {
  const inner = fakeChannelDialect();
  return {
    ...inner,
    connect(context) {
      const connection = inner.connect(context);
      // Channel name → the key the engine subscribed it with.
      const keys = new Map<string, string>();
      const odd: DialectConnection = {
        ...connection,
        subscribe(key, channel, from) {
          keys.set(channel.name, key);
          connection.subscribe(key, channel, from);
        },
        read(frame) {
          if (typeof frame === 'string' && frame.startsWith('BIG|')) {
            const [, channel, other] = frame.split('|');
            return [
              { kind: 'channel-message', key: keys.get(channel!)!, data: 10n, position: { offset: '99' } },
              { kind: 'channel-message', key: keys.get(other!)!, data: 'beside', position: { offset: '99' } },
            ];
          }
          if (frame === 'ODD') return [{ kind: 'error', code: 7, message: 404 } as unknown as DialectMessage];
          return connection.read(frame);
        },
        send(message) {
          if (options.sendThrows) throw new TypeError('cannot frame that');
          connection.send!(message);
        },
      };
      if (options.noSend) delete odd.send;
      return odd;
    },
  };
}

async function oddWorld(options: { noSend?: boolean; sendThrows?: boolean } = {}) {
  server = await startChannelServer();
  world = await createWorld({ deps: { protocol: oddDialect(options) }, config: { url: server.url } });
  const tab = await world.tab();
  await until(() => expect(tab.status).toBe('open'));
  return { server, world, tab };
}

describe('a refusal while the connection is open', () => {
  it('closes the socket: the connection reconnects and the channel is told its gap', async () => {
    const { server, tab } = await oddWorld();
    const handle = tab.broker.channel('feed');
    const resyncs: ChannelResync[] = [];
    handle.onResync((signal) => resyncs.push(signal));
    await until(() => expect(handle.state).toBe('subscribed'));
    server.raw(JSON.stringify({ op: 'denied', code: 'DISCONNECTED' }));
    await until(() => expect(server.connections()).toBe(2));
    await until(() => expect(resyncs).toHaveLength(1));
    await until(() => expect(tab.status).toBe('open'));
    expect(server.count('sub', 'feed')).toBe(2);
  });
});

describe('channel data JSON cannot hold', () => {
  it('is dropped alone and counted malformed; the other tabs get their batches and the worker goes on', async () => {
    const { server, world, tab } = await oddWorld();
    const other = await world.tab();
    await until(() => expect(other.status).toBe('open'));
    const a = tab.broker.channel<string>('a');
    const b = other.broker.channel<string>('b');
    const seenA: string[] = [];
    const seenB: string[] = [];
    a.on((message) => seenA.push(message));
    b.on((message) => seenB.push(message));
    await until(() => expect([a.state, b.state]).toEqual(['subscribed', 'subscribed']));
    server.raw('BIG|a|b');
    server.publish('b', 'for b');
    server.publish('a', 'for a');
    await until(() => expect(seenB).toEqual(['beside', 'for b']));
    await until(() => expect(seenA).toEqual(['for a']));
    expect((await worldStats(world)).dropped.malformed).toBe(1);
  });
});

describe("a tab's send() the dialect cannot frame", () => {
  it('rejects UNSUPPORTED when the dialect has no send', async () => {
    const { tab } = await oddWorld({ noSend: true });
    await expect(tab.broker.send({ hi: 1 })).rejects.toMatchObject({ code: 'UNSUPPORTED' });
  });

  it("rejects INVALID_ARGUMENT when the dialect's send throws", async () => {
    const { tab } = await oddWorld({ sendThrows: true });
    await expect(tab.broker.send({ hi: 1 })).rejects.toMatchObject({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('could not frame') });
  });
});

describe("a dialect's error text that is not a string", () => {
  it('reaches the tabs as text, and no dialect failure is counted', async () => {
    const { server, world, tab } = await oddWorld();
    server.raw('ODD');
    await until(() => expect(tab.errors.filter((e) => e.code === 'SERVER_ERROR')).toMatchObject([{ message: '404', serverCode: '7' }]));
    expect((await worldStats(world)).dropped.dialect).toBe(0);
  });
});
