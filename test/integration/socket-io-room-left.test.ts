/**
 * The broker with the Socket.IO preset against the real `socket.io` server: a room its last tab let
 * go of while the socket was down (its linger ended before the socket came back) is left on the
 * server when the session is restored, which puts the socket back in every room it held; the
 * preset forgets the room's key, and the room's events reach no tab.
 */
import { afterEach, describe, expect, it } from 'vitest';
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

/** The server-side sockets in `room` (those of the restored session included). */
const inRoom = (room: string) => server!.io.sockets.adapter.rooms.get(room)?.size ?? 0;

describe('the broker with the Socket.IO preset: a room let go of while the socket was down', () => {
  it('is left when the session is restored, and its events reach no tab', async () => {
    server = await startSocketIoServer();
    // Down for at least 1.5 s after the drop; a room let go of lingers 100 ms: its linger ends while down.
    world = await createWorld({ deps: { protocol: socketIoProtocol() }, config: { url: server.url, channelLingerMs: 100, reconnect: { minDelayMs: 1500, maxDelayMs: 1500 } } });
    const tab = await world.tab({ token: () => SOCKET_IO_TOKEN });
    const news = tab.broker.channel<{ data: { n: number } }>('news');
    const sports = tab.broker.channel('sports');
    const newsNumbers: number[] = [];
    const newsResyncs: boolean[] = [];
    news.on((message) => newsNumbers.push(message.data.n));
    news.onResync((signal) => newsResyncs.push(signal.complete));
    await until(() => expect([news.state, sports.state]).toEqual(['subscribed', 'subscribed']));
    server.emitToRoom('news', 'headline', { room: 'news', n: 1 });
    await until(() => expect(newsNumbers).toEqual([1]));
    const statesBefore = tab.states.length;
    server.dropConnections();
    // The broker saw the drop: what is let go of from here was subscribed on a socket that is gone.
    await until(() => expect(tab.states.slice(statesBefore).map((s) => s.status)).toContain('backoff'));
    sports.unsubscribe();
    await until(() => expect(server!.counters.recovered).toBe(1), 6000);
    await until(() => expect(newsResyncs).toEqual([true]));
    await until(() => expect(server!.counters.leaves).toEqual({ sports: 1 }));
    await until(() => expect(inRoom('sports')).toBe(0));
    expect(inRoom('news')).toBe(1);
    // A sports event now reaches nobody, and news still flows.
    const eventsBefore = tab.events.length;
    server.emitToRoom('sports', 'score', { room: 'sports', n: 1 });
    server.emitToRoom('news', 'headline', { room: 'news', n: 2 });
    await until(() => expect(newsNumbers).toEqual([1, 2]));
    expect(tab.events.slice(eventsBefore)).toEqual([]);
  });
});
