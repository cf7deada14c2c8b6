/**
 * Two Socket.IO nodes behind one URL: each a test server of socketio-server.ts, sharing
 * `@socket.io/redis-streams-adapter` on a `redis-server` started on a free loopback port, and a
 * small TCP proxy in front that sends every new connection to the node it targets. The test
 * stops the node a client is on, and the proxy then sends new connections to the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer as createTcpServer, connect as tcpConnect, type AddressInfo, type Server as TcpServer, type Socket } from 'node:net';
import { createAdapter } from '@socket.io/redis-streams-adapter';
import { createClient } from 'redis';
import type { ServerOptions } from 'socket.io';
import { newCounters, startSocketIoServer, type SocketIoCounters, type SocketIoTestServer } from './socketio-server.ts';

type RedisClient = ReturnType<typeof createClient>;

/** The redis-server binary (scripts/redis.mjs installs it for `npm test`), or why there is none. */
export function redisServerPath(): { path: string } | { skip: string } {
  for (const path of [process.env.REDIS_SERVER_PATH, '/usr/bin/redis-server']) {
    if (path && existsSync(path)) return { path };
  }
  return { skip: 'no redis-server (sudo apt-get install -y redis-server, or set REDIS_SERVER_PATH)' };
}

/** How a node goes: `shutdown` closes its server (sockets disconnect and their sessions are saved to Redis); `crash` ends it without saving any. */
export type NodeEnd = 'shutdown' | 'crash';

export interface SocketIoCluster {
  nodes: SocketIoTestServer[];
  /** The proxy's WebSocket URL. */
  url: string;
  /** Counters summed over both nodes. */
  counters: SocketIoCounters;
  redis: RedisClient;
  /** The node new connections go to. */
  target: number;
  /** Ends node `index` and sends new connections to the other node. */
  stopNode(index: number, how: NodeEnd): Promise<void>;
  close(): Promise<void>;
}

/** `serverOptions` are given to both nodes (over the test servers' recovery options). */
export async function startSocketIoCluster(redisPath: string, serverOptions: Partial<ServerOptions> = {}): Promise<SocketIoCluster> {
  const redisPort = await freePort();
  const redisProcess = spawn(redisPath, ['--port', String(redisPort), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
  const clients: RedisClient[] = [];
  const newClient = async () => {
    const client = createClient({ url: `redis://127.0.0.1:${redisPort}` });
    client.on('error', () => {});
    clients.push(client);
    await connectWithRetry(client);
    return client;
  };
  const redis = await newClient();
  const counters = newCounters();
  const nodes: SocketIoTestServer[] = [];
  for (let i = 0; i < 2; i++) nodes.push(await startSocketIoServer({ ...serverOptions, adapter: createAdapter(await newClient(), { blockTimeInMs: 200 }) }, counters));
  const proxy = startProxy(nodes);
  await new Promise<void>((resolve) => proxy.server.listen(0, '127.0.0.1', resolve));
  const port = (proxy.server.address() as AddressInfo).port;
  const cluster: SocketIoCluster = {
    nodes,
    url: `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    counters,
    redis,
    get target() {
      return proxy.target;
    },
    set target(index) {
      proxy.target = index;
    },
    async stopNode(index, how) {
      const node = nodes[index]!;
      // A crashed process saves nothing: its sockets' sessions never reach Redis.
      if (how === 'crash') for (const namespace of node.io._nsps.values()) namespace.adapter.persistSession = () => {};
      proxy.target = 1 - index;
      proxy.cut(index);
      await node.close();
    },
    async close() {
      proxy.cut(0);
      proxy.cut(1);
      proxy.server.close();
      await Promise.all(nodes.map((node) => node.close().catch(() => {})));
      // `close` lets the adapters' commands in flight finish; their stream readers end on their own.
      await Promise.all(clients.map((client) => client.close().catch(() => {})));
      await stopProcess(redisProcess);
    },
  };
  return cluster;
}

/** A TCP proxy: each connection piped to the targeted node, and cut when that node goes. */
function startProxy(nodes: SocketIoTestServer[]): { server: TcpServer; target: number; cut(index: number): void } {
  const open: Set<Socket>[] = nodes.map(() => new Set());
  const proxy = {
    target: 0,
    server: createTcpServer((client) => {
      const index = proxy.target;
      const upstream = tcpConnect(nodes[index]!.port, '127.0.0.1');
      for (const socket of [client, upstream]) {
        open[index]!.add(socket);
        socket.on('error', () => {});
        socket.on('close', () => {
          open[index]!.delete(socket);
          client.destroy();
          upstream.destroy();
        });
      }
      client.pipe(upstream).pipe(client);
    }),
    cut(index: number) {
      for (const socket of open[index]!) socket.destroy();
    },
  };
  return proxy;
}

async function connectWithRetry(client: RedisClient): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await client.connect();
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createTcpServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

function stopProcess(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}
