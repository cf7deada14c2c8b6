/**
 * The Socket.IO preset in Chromium: real tabs on one SharedWorker whose entry runs the preset
 * (demo/socketio.worker.ts), against the real `socket.io` server (test/support/socketio-server.ts)
 * and, past one server, two nodes sharing `@socket.io/redis-streams-adapter` behind one URL
 * (test/support/socketio-cluster.ts). Servers are started per test and always stopped.
 */
import type { Page } from '@playwright/test';
import type { ServerOptions } from 'socket.io';
import { redisServerPath, startSocketIoCluster, type NodeEnd, type SocketIoCluster } from '../support/socketio-cluster.ts';
import { SOCKET_IO_TOKEN, startSocketIoServer, type SocketIoTestServer } from '../support/socketio-server.ts';
import { allInState, eventually, expect, test } from './fixtures.ts';

let server: SocketIoTestServer | undefined;
let cluster: SocketIoCluster | undefined;
test.afterEach(async () => {
  await server?.close();
  await cluster?.close();
  server = cluster = undefined;
});

type Rooms = Record<string, { messages: unknown[]; replayed: unknown[]; resyncs: boolean[]; errors: Array<{ code: string; serverCode?: string }> }>;
const roomsOf = (pages: Page[]): Promise<Rooms[]> => Promise.all(pages.map((page) => page.evaluate(() => window.harness.rooms)));
/** The `n` of each message (or each replayed one) of `room` in each page ([] where the page does not hold it). */
const numbers = async (pages: Page[], room: string, which: 'messages' | 'replayed' = 'messages'): Promise<number[][]> =>
  (await roomsOf(pages)).map((rooms) => (rooms[room]?.[which] ?? []).map((message) => (message as { data: { n: number } }).data.n));

/** `count` tabs connected with `token` to `url`; `holds[i]` are the rooms tab i holds (resolved once each was taken or refused). */
async function openTabs(tabs: { open(count: number, query?: Record<string, string>): Promise<Page[]> }, url: string, holds: string[][], token = SOCKET_IO_TOKEN): Promise<Page[]> {
  const pages = await tabs.open(holds.length, { connect: '0' });
  for (const page of pages) await page.evaluate(([u, t]) => window.harness.connectSocketIo(u, t), [url, token] as const);
  for (const [i, rooms] of holds.entries()) for (const room of rooms) await pages[i]!.evaluate((r) => window.harness.holdRoom(r), room);
  return pages;
}

/**
 * Counts the sockets connected to the namespace at once on `servers`, and the most there ever
 * were: one socket per browser means never two at once, whatever the server sees of a closing one.
 */
function watchSockets(servers: SocketIoTestServer[]): { open: number; most: number } {
  const seen = { open: 0, most: 0 };
  for (const { io } of servers) {
    io.on('connection', (socket) => {
      seen.most = Math.max(seen.most, ++seen.open);
      socket.on('disconnect', () => seen.open--);
    });
  }
  return seen;
}

const headline = (n: number) => ['headline', { room: 'news', n }] as const;

test.describe('Socket.IO preset, one server', () => {
  test('tabs share one socket and one join per room; room events reach only their tabs, once; a request is answered to the asking tab', async ({ tabs }) => {
    server = await startSocketIoServer();
    const sockets = watchSockets([server]);
    const pages = await openTabs(tabs, server.url, [['news'], ['news'], ['sports']]);
    expect(server.counters).toMatchObject({ connections: 1, joins: { news: 1, sports: 1 } });

    server.emitToRoom('news', ...headline(1));
    server.emitToRoom('sports', 'score', { room: 'sports', n: 7 });
    await eventually(async () => {
      expect(await numbers(pages, 'news')).toEqual([[1], [1], []]);
      expect(await numbers(pages, 'sports')).toEqual([[], [], [7]]);
    });
    expect((await roomsOf(pages))[0]!.news!.messages).toEqual([{ type: 'headline', data: { room: 'news', n: 1 } }]);

    // Two tabs ask at once: each gets its own answer through the ack, nothing reaches the stream.
    const [first, third] = await Promise.all([
      pages[0]!.evaluate(() => window.harness.broker!.request(['add', 1, 2])),
      pages[2]!.evaluate(() => window.harness.broker!.request(['add', 10, 20])),
    ]);
    expect([first, third]).toEqual([3, 30]);
    expect(await Promise.all(pages.map((page) => page.evaluate(() => window.harness.events.length)))).toEqual([0, 0, 0]);
    expect([sockets.open, sockets.most, server.counters.connections]).toEqual([1, 1, 1]);
  });

  test('a bad token ends every tab unauthorized', async ({ tabs }) => {
    server = await startSocketIoServer();
    const pages = await tabs.open(3, { connect: '0' });
    for (const page of pages) await page.evaluate(([u]) => window.harness.connectSocketIo(u, 'bad-token'), [server.url] as const);
    await allInState(pages, 'unauthorized');
    expect(server.counters.connections).toBe(0);
  });

  test("a refused join errors only that room's tabs; the others go on", async ({ tabs }) => {
    server = await startSocketIoServer();
    const pages = await openTabs(tabs, server.url, [['news', 'secret-plans'], ['secret-plans'], ['news']]);
    const rooms = await roomsOf(pages);
    expect(rooms.map((r) => r['secret-plans']?.errors)).toEqual([
      [{ code: 'CHANNEL_ERROR', serverCode: 'FORBIDDEN' }],
      [{ code: 'CHANNEL_ERROR', serverCode: 'FORBIDDEN' }],
      undefined,
    ]);
    expect(await Promise.all(pages.map((page) => page.evaluate(() => window.harness.broker!.state)))).toEqual(['open', 'open', 'open']);
    // Broker-wide errors: the channel's error reached its handles only.
    expect(await Promise.all(pages.map((page) => page.evaluate(() => window.harness.errors.filter((e) => e.code === 'CHANNEL_ERROR'))))).toEqual([[], [], []]);
    server.emitToRoom('news', ...headline(1));
    await eventually(async () => expect(await numbers(pages, 'news')).toEqual([[1], [], [1]]));
    expect(server.counters.joins).toEqual({ news: 1 });
  });

  test('a dropped connection is recovered on one new socket: every missed room event once, in order, complete', async ({ tabs }) => {
    const { pages, sockets } = await dropWhileEmitting(tabs, skippingMiddlewares, true);
    await eventually(async () => {
      expect(await numbers(pages, 'news')).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], []]);
      expect(await numbers(pages, 'sports')).toEqual([[], [], [0, 1]]);
      expect((await roomsOf(pages)).map((r) => Object.values(r).map((room) => room.resyncs))).toEqual([[[true]], [[true]], [[true]]]);
    });
    // Replayed: what the recovery sent (5 too, when it came before the room's join was answered).
    const replayed = [...(await numbers(pages, 'news', 'replayed')), ...(await numbers(pages, 'sports', 'replayed'))];
    expect(replayed.map((ns) => ns.filter((n) => n !== 5))).toEqual([[2, 3, 4], [2, 3, 4], [], [], [], [1]]);
    expect(server!.counters).toMatchObject({ connections: 2, recovered: 1 });
    expect(sockets.most).toBe(1);
  });

  // Engine.IO's open packet can come before the engine has the token: CONNECT waits for both, so
  // no CONNECT goes without it, even where the middlewares run again on a recovery.
  test('every CONNECT carries the token, where the middlewares run again on recovery: no socket refused, nothing lost', async ({ tabs }) => {
    const { pages } = await dropWhileEmitting(tabs, { connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: false } }, true);
    await eventually(async () => {
      expect(await numbers(pages, 'news')).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], []]);
      expect((await roomsOf(pages)).map((r) => r.news?.resyncs)).toEqual([[true], [true], undefined]);
    });
    expect(server!.counters).toMatchObject({ engineSockets: 2, connections: 2, recovered: 1 });
    expect(await Promise.all(pages.map((page) => page.evaluate(() => window.harness.errors)))).toEqual([[], [], []]);
    expect(await pages[0]!.evaluate(() => window.harness.states.filter((s) => s.reason === 'token-refresh').length)).toBe(0);
  });

  // A room held with no event read yet is resubscribed without a position; its join was acked on
  // the previous socket, so the restored session holds it and replayed what it missed.
  test('a room that had no event before the drop is told complete when the session was recovered', async ({ tabs }) => {
    const { pages } = await dropWhileEmitting(tabs, skippingMiddlewares, false);
    await eventually(async () => {
      expect(await numbers(pages, 'sports')).toEqual([[], [], [1]]);
      expect(await numbers(pages, 'news')).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], []]);
      expect((await roomsOf(pages)).map((r) => Object.values(r).map((room) => room.resyncs))).toEqual([[[true]], [[true]], [[true]]]);
    });
    expect(await numbers(pages, 'sports', 'replayed')).toEqual([[], [], [1]]);
    expect(server!.counters).toMatchObject({ connections: 2, recovered: 1 });
  });
});

/** socket.io's own default: a recovered session skips the middlewares. */
const skippingMiddlewares = { connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: true } };

/**
 * Tabs 0 and 1 hold `news` (event 1 read), tab 2 `sports` (event 0 read when `sportsBefore`); the
 * server cuts the connection and emits news 2–4 and sports 1 at once, and news 5 once the tabs'
 * socket is back.
 */
async function dropWhileEmitting(tabs: { open(count: number, query?: Record<string, string>): Promise<Page[]> }, options: Partial<ServerOptions>, sportsBefore: boolean) {
  server = await startSocketIoServer(options);
  const sockets = watchSockets([server]);
  const pages = await openTabs(tabs, server.url, [['news'], ['news'], ['sports']]);
  server.emitToRoom('news', ...headline(1));
  if (sportsBefore) server.emitToRoom('sports', 'score', { room: 'sports', n: 0 });
  await eventually(async () => expect(await numbers(pages, 'news')).toEqual([[1], [1], []]));
  await eventually(async () => expect((await numbers(pages, 'sports'))[2]).toHaveLength(sportsBefore ? 1 : 0));

  server.dropConnections();
  for (const n of [2, 3, 4]) server.emitToRoom('news', ...headline(n));
  server.emitToRoom('sports', 'score', { room: 'sports', n: 1 });
  await eventually(async () => expect(server!.counters.connections).toBe(2));
  await eventually(async () => expect(await server!.io.in('news').fetchSockets()).toHaveLength(1));
  server.emitToRoom('news', ...headline(5));
  return { pages, sockets };
}

const redis = redisServerPath();

test.describe('Socket.IO preset past one server (two nodes, redis-streams-adapter, one URL)', () => {
  test.skip('skip' in redis, 'skip' in redis ? redis.skip : '');

  /** Tabs on node 0 holding `news`, event 1 received; then node 0 goes, 2 and 3 are emitted from node 1, and 4 once the tabs are back on it. */
  async function loseNodeZero(tabs: { open(count: number, query?: Record<string, string>): Promise<Page[]> }, how: NodeEnd) {
    cluster = await startSocketIoCluster((redis as { path: string }).path, skippingMiddlewares);
    const sockets = watchSockets(cluster.nodes);
    const pages = await openTabs(tabs, cluster.url, [['news'], ['news'], ['news']]);
    const nodeOne = cluster.nodes[1]!;
    // From the tabs' own node (the Redis stream still gives its offset): the adapter's live
    // delivery from node to node is not what this proves, and it can lose a broadcast
    // (socketio/socket.io-redis-streams-adapter#7, #32).
    cluster.nodes[0]!.emitToRoom('news', ...headline(1));
    await eventually(async () => expect(await numbers(pages, 'news')).toEqual([[1], [1], [1]]));
    await cluster.stopNode(0, how);
    nodeOne.emitToRoom('news', ...headline(2));
    nodeOne.emitToRoom('news', ...headline(3));
    await eventually(async () => expect(cluster!.counters.connections).toBe(2));
    // In the room on node 1 again (rejoined by the recovery, or by the join after a new session).
    await eventually(async () => expect(await nodeOne.io.local.in('news').fetchSockets()).toHaveLength(1));
    nodeOne.emitToRoom('news', ...headline(4));
    return { pages, sockets };
  }

  test("the tabs' node shuts down: they reconnect to the other node and recover, nothing lost or doubled", async ({ tabs }) => {
    const { pages, sockets } = await loseNodeZero(tabs, 'shutdown');
    await eventually(async () => {
      expect(await numbers(pages, 'news')).toEqual([[1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]);
      expect((await roomsOf(pages)).map((r) => r.news!.resyncs)).toEqual([[true], [true], [true]]);
    });
    // A live repeat of a replayed event would come before this one.
    cluster!.nodes[1]!.emitToRoom('news', ...headline(5));
    await eventually(async () => expect(await numbers(pages, 'news')).toEqual([[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]));
    expect(cluster!.counters).toMatchObject({ connections: 2, recovered: 1 });
    expect(sockets.most).toBe(1);
  });

  test("the tabs' node crashes: they reconnect to the other node and are told the room is not complete", async ({ tabs }) => {
    const { pages, sockets } = await loseNodeZero(tabs, 'crash');
    await eventually(async () => {
      expect((await roomsOf(pages)).map((r) => r.news!.resyncs)).toEqual([[false], [false], [false]]);
      expect((await numbers(pages, 'news')).map((ns) => ns.at(-1))).toEqual([4, 4, 4]);
    });
    expect(cluster!.counters).toMatchObject({ connections: 2, recovered: 0 });
    expect(sockets.most).toBe(1);
  });
});
