/**
 * The Socket.IO preset against the real `socket.io` server, for a room that had no event of its
 * own before a drop (resubscribed with no position): the restored session rejoins it and replays
 * what it missed, so its join says `recovered: true`, and the replay reaches its key once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { ChannelProtocol, DialectMessage } from '../../src/broker/protocol/channel-dialect.ts';
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

async function connect(protocol: ChannelProtocol): Promise<DialectSocket> {
  server ??= await startSocketIoServer();
  const socket = await openDialectSocket(server.url, protocol, SOCKET_IO_TOKEN);
  sockets.push(socket);
  await socket.waitFor('accepted');
  return socket;
}

async function until(condition: () => boolean, what: string, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

const routed = (socket: DialectSocket, key: string) =>
  socket.messages.flatMap((m) => (m.kind === 'channel-message' && m.key === key ? [(m.data as { data: { n: number } }).data.n] : []));
const joinOf = (socket: DialectSocket, key: string) => socket.waitFor('channel-subscribed', (m) => m.key === key);

async function join(socket: DialectSocket, key: string, from?: Extract<DialectMessage, { kind: 'channel-message' }>['position']) {
  socket.connection.subscribe(key, { name: key }, from);
  return joinOf(socket, key);
}

/** Cuts the socket and waits until the server saw it go (and saved its session). */
async function drop(socket: DialectSocket): Promise<void> {
  server!.dropConnections();
  await socket.closed;
  await until(() => server!.io.sockets.sockets.size === 0, 'the server to see the drop');
}

describe('Socket.IO preset against socket.io: a room with no event before the drop', () => {
  it('is recovered, and its missed event arrives once, when the session is restored', async () => {
    const protocol = socketIoProtocol();
    const first = await connect(protocol);
    await join(first, 'news');
    await join(first, 'sports');
    server!.emitToRoom('news', 'headline', { room: 'news', n: 1 });
    const seen = await first.waitFor('channel-message');
    await drop(first);
    server!.emitToRoom('sports', 'score', { room: 'sports', n: 1 });

    const second = await connect(protocol);
    expect(await join(second, 'news', seen.position)).toMatchObject({ recovered: true });
    expect(await join(second, 'sports')).toMatchObject({ recovered: true });
    server!.emitToRoom('sports', 'score', { room: 'sports', n: 2 });
    await until(() => routed(second, 'sports').length >= 2, 'two sports messages');
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(routed(second, 'sports')).toEqual([1, 2]);
    expect(server!.counters.recovered).toBe(1);
  });

  it('is recovered when it was joined after the event whose offset the session resumes from', async () => {
    const protocol = socketIoProtocol();
    const first = await connect(protocol);
    await join(first, 'news');
    server!.emitToRoom('news', 'headline', { room: 'news', n: 1 });
    await first.waitFor('channel-message');
    const joined = await join(first, 'sports');
    await drop(first);
    server!.emitToRoom('sports', 'score', { room: 'sports', n: 1 });

    const second = await connect(protocol);
    expect(await join(second, 'sports', joined.position)).toMatchObject({ recovered: true });
    await until(() => routed(second, 'sports').length >= 1, 'the sports message');
    expect(routed(second, 'sports')).toEqual([1]);
  });

  it('is not recovered when no event was read before the drop: socket.io has no offset to restore from', async () => {
    const protocol = socketIoProtocol();
    const first = await connect(protocol);
    await join(first, 'sports');
    await drop(first);
    server!.emitToRoom('sports', 'score', { room: 'sports', n: 1 });

    const second = await connect(protocol);
    expect((await join(second, 'sports')).recovered ?? false).toBe(false);
    expect(server!.counters.recovered).toBe(0);
  });
});
