/**
 * The Socket.IO preset against the real `socket.io` server: the dialect driven over a real
 * WebSocket by test/support/socketio-client.ts, as the engine drives it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DialectMessage } from '../../src/broker/protocol/channel-dialect.ts';
import type { SocketIoConnection } from '../../src/broker/protocol/socket-io/connection.ts';
import { socketIoProtocol } from '../../src/broker/protocol/socket-io/socket-io-protocol.ts';
import { openDialectSocket, type DialectSocket } from '../support/socketio-client.ts';
import { SOCKET_IO_TOKEN, startSocketIoServer, type SocketIoTestServer } from '../support/socketio-server.ts';

let server: SocketIoTestServer | undefined;
const sockets: DialectSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await server?.close();
  server = undefined;
});

async function connect(protocol = socketIoProtocol(), token = SOCKET_IO_TOKEN, options = {}): Promise<DialectSocket> {
  server ??= await startSocketIoServer(options);
  const socket = await openDialectSocket(server.url, protocol, token);
  sockets.push(socket);
  return socket;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const roomMessages = (socket: DialectSocket, key: string) =>
  socket.messages.filter((message): message is Extract<DialectMessage, { kind: 'channel-message' }> => message.kind === 'channel-message' && message.key === key);

describe('Socket.IO preset against socket.io', () => {
  it('connects the namespace with the token in the auth payload and is accepted', async () => {
    const socket = await connect();
    const accepted = await socket.waitFor('accepted');
    expect(accepted.session?.connectionId).toEqual(expect.any(String));
    expect(socket.sent[0]).toBe(`40${JSON.stringify({ token: SOCKET_IO_TOKEN })}`);
    expect(server!.counters).toMatchObject({ engineSockets: 1, connections: 1 });
  });

  it('is refused with a bad token, with the code the middleware gave', async () => {
    const socket = await connect(socketIoProtocol(), 'wrong');
    const refused = await socket.waitFor('refused');
    expect(refused).toEqual({ kind: 'refused', code: 'UNAUTHORIZED', message: 'invalid token' });
    expect(server!.counters.connections).toBe(0);
  });

  it('subscribes a room through the join event and its ack; a refused join is that channel’s error', async () => {
    const socket = await connect();
    await socket.waitFor('accepted');
    socket.connection.subscribe('k1', { name: 'news' });
    socket.connection.subscribe('k2', { name: 'secret-plans' });
    expect(await socket.waitFor('channel-subscribed')).toEqual({ kind: 'channel-subscribed', key: 'k1' });
    expect(await socket.waitFor('channel-error')).toEqual({ kind: 'channel-error', key: 'k2', code: 'FORBIDDEN', message: 'not allowed' });
    expect(server!.counters.joins).toEqual({ news: 1 });
  });

  it("routes a room's events to its channel with the recovery offset, and other events to the stream", async () => {
    const socket = await connect();
    await socket.waitFor('accepted');
    socket.connection.subscribe('k1', { name: 'news' });
    await socket.waitFor('channel-subscribed');
    server!.emitToRoom('news', 'headline', { room: 'news', n: 1 });
    server!.io.emit('notice', { text: 'hello' });
    const message = await socket.waitFor('channel-message');
    expect(message.data).toEqual({ type: 'headline', data: { room: 'news', n: 1 } });
    expect(message.position?.offset).toEqual(expect.any(String));
    expect(message.position?.epoch).toEqual(expect.any(String));
    const event = await socket.waitFor('event');
    expect(event.value).toMatchObject({ type: 'notice', data: { text: 'hello' }, timestamp: expect.any(String) });
  });

  it('answers a request through the ack', async () => {
    const socket = await connect();
    await socket.waitFor('accepted');
    socket.connection.request('r1', ['add', 2, 3]);
    socket.connection.request('r2', ['echo', { deep: [1, 'two'] }]);
    expect(await socket.waitFor('response', (m) => m.id === 'r1')).toEqual({ kind: 'response', id: 'r1', ok: true, data: 5 });
    expect(await socket.waitFor('response', (m) => m.id === 'r2')).toEqual({ kind: 'response', id: 'r2', ok: true, data: { deep: [1, 'two'] } });
  });

  it("answers the server's pings, so the server keeps the socket past its ping timeout", async () => {
    // A client that did not answer would be closed 600 ms in; eight pings take 800 ms at least.
    const socket = await connect(socketIoProtocol(), SOCKET_IO_TOKEN, { pingInterval: 100, pingTimeout: 500 });
    await socket.waitFor('accepted');
    expect((socket.connection as SocketIoConnection).silenceLimitMs).toBe(600);
    await until(() => socket.messages.filter((m) => m.kind === 'ping').length >= 8, 'eight pings');
    expect(socket.sent.filter((frame) => frame === '3').length).toBeGreaterThanOrEqual(7);
    expect(server!.io.sockets.sockets.size).toBe(1);
    expect(server!.counters.engineSockets).toBe(1);
  });

  it("recovers the session on a new socket: the room's events missed while away arrive once", async () => {
    const protocol = socketIoProtocol();
    const first = await connect(protocol);
    await first.waitFor('accepted');
    first.connection.subscribe('k1', { name: 'news' });
    await first.waitFor('channel-subscribed');
    server!.emitToRoom('news', 'headline', { room: 'news', n: 1 });
    const seen = await first.waitFor('channel-message');
    server!.dropConnections();
    await first.closed;
    await until(() => server!.io.sockets.sockets.size === 0, 'the server to see the drop');
    server!.emitToRoom('news', 'headline', { room: 'news', n: 2 });
    server!.emitToRoom('news', 'headline', { room: 'news', n: 3 });

    const second = await connect(protocol);
    const accepted = await second.waitFor('accepted');
    expect(accepted.position).toEqual({ offset: seen.position?.offset, epoch: seen.position?.epoch });
    second.connection.subscribe('k1', { name: 'news' }, seen.position);
    expect(await second.waitFor('channel-subscribed')).toMatchObject({ key: 'k1', recovered: true });
    server!.emitToRoom('news', 'headline', { room: 'news', n: 4 });
    await until(() => roomMessages(second, 'k1').length >= 3, 'three room messages');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(roomMessages(second, 'k1').map((m) => (m.data as { data: { n: number } }).data.n)).toEqual([2, 3, 4]);
    expect(second.messages.findIndex((m) => m.kind === 'accepted')).toBe(0);
    expect(server!.counters).toMatchObject({ recovered: 1, connections: 2 });
  });

  it('says a channel resumed from a position was not recovered when the server started a new session', async () => {
    const socket = await connect(socketIoProtocol());
    await socket.waitFor('accepted');
    socket.connection.subscribe('k1', { name: 'news' }, { offset: 'gone', epoch: 'an-old-pid' });
    expect(await socket.waitFor('channel-subscribed')).toMatchObject({ key: 'k1', recovered: false });
    expect(server!.counters.recovered).toBe(0);
  });

  it('leaves the room when the last key holding it unsubscribes', async () => {
    const socket = await connect();
    await socket.waitFor('accepted');
    socket.connection.subscribe('k1', { name: 'news' });
    socket.connection.subscribe('k2', { name: 'news', params: { lang: 'fr' } });
    await until(() => socket.messages.filter((m) => m.kind === 'channel-subscribed').length === 2, 'two joins');
    socket.connection.unsubscribe('k1', { name: 'news' });
    socket.connection.request('r', ['echo', 1]);
    await socket.waitFor('response');
    expect(server!.counters.leaves).toEqual({});
    socket.connection.unsubscribe('k2', { name: 'news', params: { lang: 'fr' } });
    await until(() => server!.counters.leaves.news === 1, 'the leave');
  });
});
