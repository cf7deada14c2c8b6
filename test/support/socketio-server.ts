/**
 * A real Socket.IO v4 server (the `socket.io` package) on a free loopback port, for the
 * Socket.IO preset's tests: connection state recovery on, an auth middleware checking the
 * token, a `join` handler with an ack, `echo`/`add` answering by ack, a way to emit to a room,
 * and counters of what the server saw.
 */
import { createServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Server, type ServerOptions, type Socket } from 'socket.io';

/** The token the auth middleware accepts. */
export const SOCKET_IO_TOKEN = 'sio-good-token';

export interface SocketIoCounters {
  /** Engine.IO sockets opened (one per WebSocket). */
  engineSockets: number;
  /** Namespace connections accepted. */
  connections: number;
  /** Of those, the ones whose session the server recovered. */
  recovered: number;
  /** Join events handled, by room. */
  joins: Record<string, number>;
  /** Leave events handled, by room. */
  leaves: Record<string, number>;
}

export const newCounters = (): SocketIoCounters => ({ engineSockets: 0, connections: 0, recovered: 0, joins: {}, leaves: {} });

/** The connection state recovery used by every test server: long enough to never expire during a test. */
export const recoveryOptions: Partial<ServerOptions> = {
  connectionStateRecovery: { maxDisconnectionDuration: 60_000, skipMiddlewares: false },
};

/** The middleware and handlers every test node runs; `counters` is shared by the nodes of a cluster. */
export function installHandlers(io: Server, counters: SocketIoCounters): void {
  io.engine.on('connection', () => counters.engineSockets++);
  io.use((socket, next) => {
    const token: unknown = socket.handshake.auth.token;
    if (token === SOCKET_IO_TOKEN) return next();
    next(Object.assign(new Error('invalid token'), { data: { code: 'UNAUTHORIZED' } }));
  });
  io.on('connection', (socket: Socket) => {
    counters.connections++;
    if (socket.recovered) counters.recovered++;
    socket.on('join', (room: unknown, ...rest: unknown[]) => {
      const ack = rest.at(-1);
      if (typeof ack !== 'function') return;
      if (typeof room !== 'string' || room.startsWith('secret')) return ack({ error: 'not allowed', code: 'FORBIDDEN' });
      counters.joins[room] = (counters.joins[room] ?? 0) + 1;
      void socket.join(room);
      ack({ ok: true });
    });
    socket.on('leave', (room: unknown) => {
      if (typeof room !== 'string') return;
      counters.leaves[room] = (counters.leaves[room] ?? 0) + 1;
      void socket.leave(room);
    });
    socket.on('echo', (value: unknown, ack: unknown) => typeof ack === 'function' && ack(value));
    socket.on('add', (a: unknown, b: unknown, ack: unknown) => typeof ack === 'function' && ack(Number(a) + Number(b)));
  });
}

export interface SocketIoTestServer {
  io: Server;
  http: HttpServer;
  port: number;
  /** The WebSocket URL a client opens. */
  url: string;
  counters: SocketIoCounters;
  /** Emits `event` to every socket in `room` (through the adapter, so it carries a recovery offset). */
  emitToRoom(room: string, event: string, ...args: unknown[]): void;
  /** Cuts every client's TCP connection, as a network drop does (the server keeps its sessions). */
  dropConnections(): void;
  close(): Promise<void>;
}

export async function startSocketIoServer(options: Partial<ServerOptions> = {}, counters = newCounters()): Promise<SocketIoTestServer> {
  const http = createServer();
  const io = new Server(http, { transports: ['websocket'], ...recoveryOptions, ...options });
  installHandlers(io, counters);
  const connections = new Set<import('node:net').Socket>();
  http.on('connection', (socket) => {
    connections.add(socket);
    socket.on('close', () => connections.delete(socket));
  });
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve));
  const port = (http.address() as AddressInfo).port;
  return {
    io,
    http,
    port,
    url: `ws://127.0.0.1:${port}/socket.io/?EIO=4&transport=websocket`,
    counters,
    emitToRoom: (room, event, ...args) => io.to(room).emit(event, ...args),
    dropConnections: () => {
      for (const socket of connections) socket.destroy();
    },
    close: async () => {
      for (const socket of connections) socket.destroy();
      await io.close();
    },
  };
}
