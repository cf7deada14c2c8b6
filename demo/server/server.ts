/**
 * The listening HTTP server on one port, REST and WebSocket upgrades alike.
 * Pause closes it and resume opens a new one on the same port, so clients see
 * connections refused in between, as when a gateway goes away.
 */
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { json } from './http.ts';
import type { MockState } from './state.ts';

export interface HttpHandlers {
  request(req: IncomingMessage, res: ServerResponse): Promise<void>;
  upgrade(req: IncomingMessage, socket: Duplex, head: Buffer): void;
}

export interface HttpListener {
  /** Undefined until the first listen. */
  server: Server | undefined;
  /** Every TCP connection open, so pause can cut keep-alive ones instead of waiting for them. */
  readonly tcpSockets: Set<Socket>;
}

export const createListener = (): HttpListener => ({ server: undefined, tcpSockets: new Set() });

/** Listens on `state.port` (0: a free one, then kept in `state.port`). */
export function listen(state: MockState, listener: HttpListener, handlers: HttpHandlers): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const server = createServer((req, res) => {
      handlers.request(req, res).catch(() => json(res, 500, { error: 'internal error', code: 'INTERNAL_ERROR' }));
    });
    listener.server = server;
    server.on('connection', (socket) => {
      listener.tcpSockets.add(socket);
      socket.on('close', () => listener.tcpSockets.delete(socket));
    });
    server.on('upgrade', (req, socket, head) => handlers.upgrade(req, socket, head));
    server.once('error', reject);
    server.listen(state.port, state.settings.host, () => {
      state.port = (server.address() as AddressInfo).port;
      resolve();
    });
  });
}

/** Stops listening and cuts every TCP connection; resolves once the server is closed. */
export function unlisten(listener: HttpListener): Promise<void> {
  return new Promise<void>((resolve) => {
    for (const socket of listener.tcpSockets) socket.destroy();
    if (listener.server) listener.server.close(() => resolve());
    else resolve();
  });
}
