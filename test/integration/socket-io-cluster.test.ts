/**
 * The Socket.IO preset past one server: two socket.io nodes sharing
 * `@socket.io/redis-streams-adapter` behind one URL (test/support/socketio-cluster.ts). The
 * node the client is on goes while its room's events keep being emitted from the other node;
 * the client reconnects through the proxy to the other node and recovers from its offset.
 */
import { afterEach, describe, expect, it } from 'vitest';
import type { DialectMessage } from '../../src/broker/protocol/channel-dialect.ts';
import type { ChannelPosition } from '../../src/link/channels.ts';
import { socketIoProtocol } from '../../src/broker/protocol/socket-io/socket-io-protocol.ts';
import { openDialectSocket, type DialectSocket } from '../support/socketio-client.ts';
import { redisServerPath, startSocketIoCluster, type NodeEnd, type SocketIoCluster } from '../support/socketio-cluster.ts';
import { SOCKET_IO_TOKEN } from '../support/socketio-server.ts';

const redis = redisServerPath();
let cluster: SocketIoCluster | undefined;
const sockets: DialectSocket[] = [];

afterEach(async () => {
  for (const socket of sockets.splice(0)) socket.close();
  await cluster?.close();
  cluster = undefined;
});

async function until(condition: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

const numbers = (messages: DialectMessage[]) =>
  messages.flatMap((message) => (message.kind === 'channel-message' && message.key === 'k1' ? [(message.data as { data: { n: number } }).data.n] : []));

/** Connects through the proxy, joins `news`, and reads event 1 emitted from the node the client is not on. */
async function joinedOnNodeZero(protocol: ReturnType<typeof socketIoProtocol>): Promise<{ socket: DialectSocket; seen: ChannelPosition }> {
  const socket = await openDialectSocket(cluster!.url, protocol, SOCKET_IO_TOKEN);
  sockets.push(socket);
  await socket.waitFor('accepted');
  socket.connection.subscribe('k1', { name: 'news' });
  await socket.waitFor('channel-subscribed');
  // Node 1 sees the client on node 0 once both nodes read the shared stream.
  await until(async () => (await cluster!.nodes[1]!.io.in('news').fetchSockets()).length === 1, 'node 1 to see the client');
  cluster!.nodes[1]!.emitToRoom('news', 'headline', { room: 'news', n: 1 });
  const message = await socket.waitFor('channel-message');
  return { socket, seen: message.position! };
}

async function loseNodeZero(socket: DialectSocket, how: NodeEnd): Promise<void> {
  await cluster!.stopNode(0, how);
  await socket.closed;
  cluster!.nodes[1]!.emitToRoom('news', 'headline', { room: 'news', n: 2 });
  cluster!.nodes[1]!.emitToRoom('news', 'headline', { room: 'news', n: 3 });
}

describe.skipIf('skip' in redis)(`Socket.IO preset on two nodes sharing redis-streams-adapter${'skip' in redis ? ` — skip: ${redis.skip}` : ''}`, () => {
  it("recovers on the other node after the client's node shut down: nothing lost or doubled", async () => {
    cluster = await startSocketIoCluster((redis as { path: string }).path);
    const protocol = socketIoProtocol();
    const { socket, seen } = await joinedOnNodeZero(protocol);
    expect(seen.offset).toMatch(/^\d+-\d+$/);
    await loseNodeZero(socket, 'shutdown');
    await until(async () => (await cluster!.redis.keys('sio:session:*')).length === 1, 'the session saved in Redis');

    const again = await openDialectSocket(cluster.url, protocol, SOCKET_IO_TOKEN);
    sockets.push(again);
    expect((await again.waitFor('accepted')).position).toEqual({ offset: seen.offset, epoch: seen.epoch });
    again.connection.subscribe('k1', { name: 'news' }, seen);
    expect(await again.waitFor('channel-subscribed')).toMatchObject({ recovered: true });
    cluster.nodes[1]!.emitToRoom('news', 'headline', { room: 'news', n: 4 });
    await until(() => numbers(again.messages).length >= 3, 'three events on the new socket');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(numbers(socket.messages)).toEqual([1]);
    expect(numbers(again.messages)).toEqual([2, 3, 4]);
    expect(cluster.counters).toMatchObject({ engineSockets: 2, connections: 2, recovered: 1 });
  });

  it('says the channel was not recovered when the node crashed before saving the session', async () => {
    cluster = await startSocketIoCluster((redis as { path: string }).path);
    const protocol = socketIoProtocol();
    const { socket, seen } = await joinedOnNodeZero(protocol);
    await loseNodeZero(socket, 'crash');

    const again = await openDialectSocket(cluster.url, protocol, SOCKET_IO_TOKEN);
    sockets.push(again);
    expect((await again.waitFor('accepted')).position).toBeUndefined();
    again.connection.subscribe('k1', { name: 'news' }, seen);
    expect(await again.waitFor('channel-subscribed')).toMatchObject({ recovered: false });
    cluster.nodes[1]!.emitToRoom('news', 'headline', { room: 'news', n: 4 });
    await until(() => numbers(again.messages).length >= 1, 'the live event');
    expect(numbers(again.messages)).toEqual([4]);
    expect(cluster.counters.recovered).toBe(0);
  });
});
