/**
 * The broker with the Socket.IO preset against the real `socket.io` server, real tabs holding
 * rooms: a room that had no event before a drop is resubscribed without a position, and its tabs
 * are told `complete: true` when the session was restored (its missed event arriving once), and
 * `complete: false` when the server started a new session.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelResync } from '../../src/tab/channels.ts';
import { socketIoProtocol } from '../../src/broker/protocol/socket-io/socket-io-protocol.ts';
import { type World, createWorld, until } from '../support/broker-world.ts';
import { SOCKET_IO_TOKEN, startSocketIoServer, type SocketIoTestServer } from '../support/socketio-server.ts';

let server: SocketIoTestServer | undefined;
let world: World | undefined;

afterEach(async () => {
  await world?.dispose();
  await server?.close();
  world = server = undefined;
});

/** A tab holding `room`: the numbers of its messages and its resyncs' `complete`, in order. */
async function roomTab(room: string) {
  const tab = await world!.tab({ token: () => SOCKET_IO_TOKEN });
  const handle = tab.broker.channel<{ data: { n: number } }>(room);
  const numbers: number[] = [];
  const resyncs: boolean[] = [];
  handle.on((message) => numbers.push(message.data.n));
  handle.onResync((signal: ChannelResync) => resyncs.push(signal.complete));
  await until(() => expect(handle.state).toBe('subscribed'));
  return { numbers, resyncs };
}

/** `news` read event 1, `sports` nothing; the connection drops and each room gets an event while it is down. */
async function dropWithSilentRoom(options = {}) {
  server = await startSocketIoServer(options);
  world = await createWorld({ deps: { protocol: socketIoProtocol() }, config: { url: server.url } });
  const news = await roomTab('news');
  const sports = await roomTab('sports');
  server.emitToRoom('news', 'headline', { room: 'news', n: 1 });
  await until(() => expect(news.numbers).toEqual([1]));
  server.dropConnections();
  await until(() => expect(server!.io.sockets.sockets.size).toBe(0));
  server.emitToRoom('news', 'headline', { room: 'news', n: 2 });
  server.emitToRoom('sports', 'score', { room: 'sports', n: 1 });
  return { news, sports };
}

describe('the broker with the Socket.IO preset: a room with no event before the drop', () => {
  it('tells its tab complete: true, with the missed event once, when the session was restored', async () => {
    const { news, sports } = await dropWithSilentRoom();
    await until(() => expect(sports.resyncs).toEqual([true]));
    await until(() => expect(news.resyncs).toEqual([true]));
    server!.emitToRoom('sports', 'score', { room: 'sports', n: 2 });
    await until(() => expect(sports.numbers).toEqual([1, 2]));
    expect(news.numbers).toEqual([1, 2]);
    expect(server!.counters.recovered).toBe(1);
  });

  it('tells its tab complete: false when the server started a new session', async () => {
    // No recovery on the server: every CONNECT answer is a new session.
    const { news, sports } = await dropWithSilentRoom({ connectionStateRecovery: undefined });
    await until(() => expect(sports.resyncs).toEqual([false]));
    await until(() => expect(news.resyncs).toEqual([false]));
    expect(server!.counters.recovered).toBe(0);
  });
});
