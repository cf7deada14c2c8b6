/**
 * The mock backend: docs/protocol.md on 127.0.0.1 — tokens, post-connection auth,
 * tenant-scoped broadcast of REST writes, the events-since replay endpoint —
 * plus a control API for tests and the demo (counts, drops, faults, raw frames).
 * Every instance can be stopped, and `startMockBackend` always picks a free
 * port unless told one.
 */
import { randomBytes } from 'node:crypto';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Actor, completePayload, matchRoute, newId } from './catalogue.ts';

export interface MockBackendOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  host?: string;
  /** Access token lifetime, in ms. @default 900_000 (15 min) */
  tokenTtlMs?: number;
  /** The gateway closes a socket that received nothing for this long, in ms. @default 600_000 (10 min) */
  idleTimeoutMs?: number;
  /** Events kept per tenant for GET /api/events. @default 100 */
  replayCapacity?: number;
  /** Delay before a REST write's event is broadcast, in ms (the real backend: up to ~500). @default 0 */
  broadcastDelayMs?: number;
}

/** How the next handshakes are answered: `ok`, or a refusal code, or `hang` (never answered). */
/** `revoked`: the handshake succeeds, then the connection is refused at once (a token revoked server-side). */
export type AuthMode = 'ok' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'RATE_LIMIT_EXCEEDED' | 'INTERNAL_ERROR' | 'hang' | 'revoked';

interface TokenInfo extends Actor {
  expiresAt: number;
  revoked: boolean;
}

interface Connection {
  socket: WebSocket;
  actor: Actor | undefined;
  connectionId: string;
  lastReceivedAt: number;
}

export interface BackendStats {
  /** Sockets open right now (authenticated or not). */
  openSockets: number;
  authenticatedSockets: number;
  /** Sockets ever accepted. */
  connections: number;
  /** Auth frames received. */
  handshakes: number;
  authSuccesses: number;
  authFailures: number;
  logins: number;
  refreshes: number;
  pings: number;
  /** Answers to the older draft's server ping ({"type":"pong"}). */
  pongs: number;
  /** Frames received after auth that were not pings. */
  upstream: number;
  eventsBroadcast: number;
  replayRequests: number;
  /** Sockets closed by the idle limit. */
  idleClosed: number;
  /** Upgrade requests refused while not accepting. */
  refused: number;
  /** Times each connection came, ms since epoch, for spacing checks. */
  connectionTimes: number[];
  /** Any query string seen on the WebSocket URL (credentials must never be there). */
  socketQueries: string[];
  /** Upstream frames as received, after auth (never the auth frame). */
  received: unknown[];
}

export interface MockBackend {
  /** http://127.0.0.1:PORT */
  readonly httpUrl: string;
  /** ws://127.0.0.1:PORT/realtime */
  readonly wsUrl: string;
  readonly port: number;
  stats(): BackendStats;
  login(tenantId?: string, userId?: string): { accessToken: string; refreshToken: string; tenantId: string; userId: string; expiresInMs: number };
  /**
   * Broadcast an event to every authenticated socket of the tenant and keep it
   * for replay. Catalogue types get a complete payload, overlaid with `data`.
   */
  emit(tenantId: string, type: string, data: Record<string, unknown>): Record<string, unknown>;
  /**
   * Broadcast an envelope exactly as given (the benchmarks build their own, with
   * send times inside) to the tenant's sockets, and keep it for replay.
   */
  broadcast(tenantId: string, envelope: { type: string; timestamp: string; data: Record<string, unknown> }): void;
  /** Send a raw frame (text as is, bytes as binary, objects as JSON) to every authenticated socket, or those of one tenant. */
  push(frame: unknown, tenantId?: string): number;
  /** Close every socket (like a gateway restart). */
  drop(code?: number): void;
  /** Refuse (false) or accept (true) new WebSocket connections. */
  setAccepting(accepting: boolean): void;
  /** Answer the next `count` handshakes (default: all until changed) with `mode`. */
  setAuthMode(mode: AuthMode, count?: number): void;
  /** Refuse token refreshes (true) or allow them (false). */
  setRefreshFails(fails: boolean): void;
  /**
   * The next `fail` events-since requests answer HTTP 503, the next `unauthorized` ones 401 as
   * for a token that expired since the handshake; every one waits `delayMs` first. The next
   * `stallBody` ones send their headers and the start of the body, then never finish.
   */
  setReplayFaults(faults: { fail?: number; unauthorized?: number; delayMs?: number; stallBody?: number }): void;
  /** Every token expires now: each socket gets connection.error UNAUTHORIZED and is closed. */
  expireTokens(): void;
  /** Stop listening entirely (connections refused), keeping state; `resume` listens again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

const cors = {
  'Access-Control-Allow-Origin': '*',
  'Access-Control-Allow-Methods': 'GET, POST, PATCH, OPTIONS',
  'Access-Control-Allow-Headers': 'Authorization, X-Tenant-Id, Content-Type',
  'Access-Control-Max-Age': '600',
};

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...cors });
  res.end(JSON.stringify(body));
}

async function readBody(req: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > 1024 * 1024) throw new Error('body too large');
    chunks.push(chunk as Buffer);
  }
  if (chunks.length === 0) return {};
  const value = JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

const freshStats = (): BackendStats => ({
  openSockets: 0,
  authenticatedSockets: 0,
  connections: 0,
  handshakes: 0,
  authSuccesses: 0,
  authFailures: 0,
  logins: 0,
  refreshes: 0,
  pings: 0,
  pongs: 0,
  upstream: 0,
  eventsBroadcast: 0,
  replayRequests: 0,
  idleClosed: 0,
  refused: 0,
  connectionTimes: [],
  socketQueries: [],
  received: [],
});

export async function startMockBackend(options: MockBackendOptions = {}): Promise<MockBackend> {
  const host = options.host ?? '127.0.0.1';
  const tokenTtlMs = options.tokenTtlMs ?? 15 * 60_000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 10 * 60_000;
  const replayCapacity = options.replayCapacity ?? 100;
  const broadcastDelayMs = options.broadcastDelayMs ?? 0;

  const tokens = new Map<string, TokenInfo>();
  const refreshTokens = new Map<string, Actor>();
  const connections = new Set<Connection>();
  const history = new Map<string, Array<Record<string, unknown>>>();
  let counters = freshStats();
  let accepting = true;
  let authMode: AuthMode = 'ok';
  let authModeLeft = Number.POSITIVE_INFINITY;
  let refreshFails = false;
  let replayFailures = 0;
  let replayUnauthorized = 0;
  let replayDelayMs = 0;
  let replayStalls = 0;
  let lastTimestamp = 0;

  const isoNow = (): string => {
    // Strictly increasing millisecond timestamps keep the replay order well defined.
    lastTimestamp = Math.max(Date.now(), lastTimestamp + 1);
    return new Date(lastTimestamp).toISOString();
  };

  const issue = (actor: Actor) => {
    const accessToken = `at_${randomBytes(18).toString('base64url')}`;
    const refreshToken = `rt_${randomBytes(18).toString('base64url')}`;
    tokens.set(accessToken, { ...actor, expiresAt: Date.now() + tokenTtlMs, revoked: false });
    refreshTokens.set(refreshToken, actor);
    return { accessToken, refreshToken, ...actor, expiresInMs: tokenTtlMs };
  };

  const verify = (token: unknown): TokenInfo | undefined => {
    if (typeof token !== 'string') return undefined;
    const info = tokens.get(token);
    if (!info || info.revoked || info.expiresAt <= Date.now()) return undefined;
    return info;
  };

  const bearer = (req: IncomingMessage): TokenInfo | undefined => {
    const header = req.headers.authorization;
    return header?.startsWith('Bearer ') ? verify(header.slice(7)) : undefined;
  };

  const sendFrame = (connection: Connection, frame: unknown) => {
    if (connection.socket.readyState !== connection.socket.OPEN) return;
    // Text as is, bytes as a binary frame, anything else as JSON.
    connection.socket.send(typeof frame === 'string' || frame instanceof Uint8Array ? frame : JSON.stringify(frame));
  };

  const remember = (tenantId: string, envelope: Record<string, unknown>) => {
    const list = history.get(tenantId) ?? [];
    list.push(envelope);
    if (list.length > replayCapacity) list.splice(0, list.length - replayCapacity);
    history.set(tenantId, list);
  };

  const emit = (tenantId: string, type: string, data: Record<string, unknown>) => {
    const timestamp = isoNow();
    const payload = completePayload(type, { tenantId, userId: 'user-456' }, data, timestamp);
    const envelope = { type, timestamp, data: { ...payload, tenantId: data.tenantId ?? tenantId } };
    remember(tenantId, envelope);
    const text = JSON.stringify(envelope);
    const deliver = () => {
      for (const connection of connections) {
        if (connection.actor?.tenantId === tenantId) {
          sendFrame(connection, text);
          counters.eventsBroadcast++;
        }
      }
    };
    if (broadcastDelayMs > 0) setTimeout(deliver, broadcastDelayMs);
    else deliver();
    return envelope;
  };

  const broadcast = (tenantId: string, envelope: { type: string; timestamp: string; data: Record<string, unknown> }) => {
    remember(tenantId, envelope);
    const text = JSON.stringify(envelope);
    for (const connection of connections) {
      if (connection.actor?.tenantId === tenantId) {
        sendFrame(connection, text);
        counters.eventsBroadcast++;
      }
    }
  };

  const nextAuthMode = (): AuthMode => {
    if (authModeLeft <= 0) return 'ok';
    authModeLeft--;
    const mode = authMode;
    if (authModeLeft <= 0) {
      authMode = 'ok';
      authModeLeft = Number.POSITIVE_INFINITY;
    }
    return mode;
  };

  const onAuthFrame = (connection: Connection, frame: Record<string, unknown>) => {
    counters.handshakes++;
    const mode = nextAuthMode();
    if (mode === 'hang') return;
    const refuse = (code: string, error: string) => {
      counters.authFailures++;
      sendFrame(connection, { type: 'auth.error', timestamp: isoNow(), data: { error, code } });
      connection.socket.close(4001, code);
    };
    if (mode !== 'ok' && mode !== 'revoked') return refuse(mode, `refused by test mode ${mode}`);
    const info = verify(frame.token);
    if (!info) return refuse('UNAUTHORIZED', 'Invalid authentication token');
    connection.actor = { tenantId: info.tenantId, userId: info.userId };
    counters.authSuccesses++;
    sendFrame(connection, {
      type: 'auth.success',
      timestamp: isoNow(),
      data: { tenantId: info.tenantId, userId: info.userId, connectionId: connection.connectionId },
    });
    if (mode === 'revoked') {
      sendFrame(connection, { type: 'connection.error', timestamp: isoNow(), data: { error: 'Token revoked', code: 'UNAUTHORIZED' } });
      connection.socket.close(4001, 'token revoked');
    }
  };

  const onSocketMessage = (connection: Connection, raw: unknown) => {
    connection.lastReceivedAt = Date.now();
    let frame: Record<string, unknown>;
    try {
      frame = JSON.parse(String(raw)) as Record<string, unknown>;
    } catch {
      sendFrame(connection, { type: 'request.error', timestamp: isoNow(), data: { error: 'frame is not JSON', code: 'VALIDATION_ERROR' } });
      return;
    }
    if (!connection.actor) {
      if (frame.action === 'auth') return onAuthFrame(connection, frame);
      counters.authFailures++;
      sendFrame(connection, { type: 'auth.error', timestamp: isoNow(), data: { error: 'authenticate first', code: 'UNAUTHORIZED' } });
      connection.socket.close(4001, 'UNAUTHORIZED');
      return;
    }
    if (frame.action === 'ping') {
      counters.pings++;
      return;
    }
    if (frame.type === 'pong') {
      counters.pongs++;
      return;
    }
    counters.upstream++;
    counters.received.push(frame);
    if (frame.action === 'broadcast') {
      if (typeof frame.data !== 'object' || frame.data === null) {
        sendFrame(connection, { type: 'broadcast.error', timestamp: isoNow(), data: { error: 'data must be an object', code: 'VALIDATION_ERROR' } });
        return;
      }
      emit(connection.actor.tenantId, 'broadcast.message', { ...(frame.data as Record<string, unknown>), userId: connection.actor.userId });
      return;
    }
    sendFrame(connection, {
      type: 'request.error',
      timestamp: isoNow(),
      data: { error: `unknown action ${String(frame.action)}`, code: 'VALIDATION_ERROR' },
    });
  };

  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  wss.on('connection', (socket: WebSocket) => {
    const connection: Connection = { socket, actor: undefined, connectionId: newId('conn'), lastReceivedAt: Date.now() };
    connections.add(connection);
    counters.connections++;
    counters.connectionTimes.push(Date.now());
    socket.on('message', (raw) => onSocketMessage(connection, raw));
    socket.on('close', () => connections.delete(connection));
    socket.on('error', () => connections.delete(connection));
  });

  const idleSweep = setInterval(() => {
    const now = Date.now();
    for (const connection of connections) {
      if (now - connection.lastReceivedAt >= idleTimeoutMs) {
        counters.idleClosed++;
        connection.socket.close(1001, 'idle timeout');
      }
    }
  }, Math.max(50, Math.min(idleTimeoutMs / 4, 5000)));
  idleSweep.unref();

  const handleControl = async (action: string, body: Record<string, unknown>, res: ServerResponse) => {
    switch (action) {
      case 'stats':
        return json(res, 200, backend.stats());
      case 'clock':
        // High-resolution epoch ms: pages measure their offset to it to time server → tab latency.
        return json(res, 200, { now: performance.timeOrigin + performance.now() });
      case 'drop':
        backend.drop(typeof body.code === 'number' ? body.code : undefined);
        return json(res, 200, { ok: true });
      case 'accepting':
        backend.setAccepting(body.accepting !== false);
        return json(res, 200, { ok: true });
      case 'auth-mode':
        backend.setAuthMode((body.mode as AuthMode) ?? 'ok', typeof body.count === 'number' ? body.count : undefined);
        return json(res, 200, { ok: true });
      case 'refresh-fails':
        backend.setRefreshFails(body.fails === true);
        return json(res, 200, { ok: true });
      case 'replay-faults':
        backend.setReplayFaults({ fail: Number(body.fail ?? 0), unauthorized: Number(body.unauthorized ?? 0), delayMs: Number(body.delayMs ?? 0) });
        return json(res, 200, { ok: true });
      case 'expire':
        backend.expireTokens();
        return json(res, 200, { ok: true });
      case 'push':
        return json(res, 200, { sent: backend.push(body.frame, typeof body.tenantId === 'string' ? body.tenantId : undefined) });
      case 'emit':
        return json(res, 200, backend.emit(String(body.tenantId ?? 'tenant-123'), String(body.type), (body.data as Record<string, unknown>) ?? {}));
      case 'reset':
        backend.reset();
        return json(res, 200, { ok: true });
      default:
        return json(res, 404, { error: `unknown control ${action}` });
    }
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'OPTIONS') {
      res.writeHead(204, cors);
      return res.end();
    }
    let body: Record<string, unknown> = {};
    try {
      if (req.method === 'POST' || req.method === 'PATCH') body = await readBody(req);
    } catch {
      return json(res, 400, { error: 'body must be JSON', code: 'VALIDATION_ERROR' });
    }
    if (url.pathname.startsWith('/__control/')) return handleControl(url.pathname.slice('/__control/'.length), body, res);
    if (req.method === 'GET' && url.pathname === '/health') return json(res, 200, { ok: true });
    if (req.method === 'POST' && url.pathname === '/auth/login') {
      counters.logins++;
      return json(res, 200, issue({ tenantId: String(body.tenantId ?? 'tenant-123'), userId: String(body.userId ?? 'user-456') }));
    }
    if (req.method === 'POST' && url.pathname === '/auth/refresh') {
      counters.refreshes++;
      const actor = typeof body.refreshToken === 'string' ? refreshTokens.get(body.refreshToken) : undefined;
      if (!actor || refreshFails) return json(res, 401, { error: 'Invalid refresh token', code: 'UNAUTHORIZED' });
      return json(res, 200, issue(actor));
    }
    const caller = bearer(req);
    if (!caller) return json(res, 401, { error: 'Invalid authentication token', code: 'UNAUTHORIZED' });
    if (req.headers['x-tenant-id'] !== caller.tenantId) return json(res, 403, { error: 'tenant mismatch', code: 'FORBIDDEN' });
    if (req.method === 'GET' && url.pathname === '/api/events') {
      counters.replayRequests++;
      if (replayUnauthorized > 0) {
        replayUnauthorized--;
        return json(res, 401, { error: 'Invalid authentication token', code: 'UNAUTHORIZED' });
      }
      const since = Date.parse(url.searchParams.get('since') ?? '');
      if (Number.isNaN(since)) return json(res, 400, { error: 'since must be ISO 8601', code: 'VALIDATION_ERROR' });
      // Inclusive: events at exactly `since` come back too; clients de-duplicate.
      const events = (history.get(caller.tenantId) ?? []).filter((event) => Date.parse(String(event.timestamp)) >= since);
      // A slow answer is slow on the wire: what it contains was decided when asked.
      if (replayDelayMs > 0) await new Promise((resolve) => setTimeout(resolve, replayDelayMs));
      if (replayStalls > 0) {
        replayStalls--;
        // Headers and a first chunk, then silence: the socket stays open until the client gives up.
        res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...cors });
        res.write(JSON.stringify(events).slice(0, 16) || '[');
        return;
      }
      if (replayFailures > 0) {
        replayFailures--;
        return json(res, 503, { error: 'replay unavailable', code: 'INTERNAL_ERROR' });
      }
      return json(res, 200, events);
    }
    const found = matchRoute(req.method ?? 'GET', url.pathname);
    if (!found) return json(res, 404, { error: `no route ${req.method} ${url.pathname}`, code: 'NOT_FOUND' });
    const envelope = emit(caller.tenantId, found.route.type, found.route.payload(caller, body, found.id, isoNow()));
    return json(res, 201, envelope.data);
  };

  let server: Server;
  const sockets = new Set<Socket>();
  let port = options.port ?? 0;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      server = createServer((req, res) => {
        handle(req, res).catch(() => json(res, 500, { error: 'internal error', code: 'INTERNAL_ERROR' }));
      });
      server.on('connection', (socket) => {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
      });
      server.on('upgrade', (req, socket, head) => {
        const url = new URL(req.url ?? '/', 'http://localhost');
        if (url.search) counters.socketQueries.push(url.search);
        if (!accepting || url.pathname !== '/realtime') {
          counters.refused++;
          socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
          return;
        }
        wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
      });
      server.once('error', reject);
      server.listen(port, host, () => {
        port = (server.address() as AddressInfo).port;
        resolve();
      });
    });

  const unlisten = () =>
    new Promise<void>((resolve) => {
      for (const connection of connections) connection.socket.terminate();
      connections.clear();
      for (const socket of sockets) socket.destroy();
      server.close(() => resolve());
    });

  await listen();

  const backend: MockBackend = {
    get httpUrl() {
      return `http://${host}:${port}`;
    },
    get wsUrl() {
      return `ws://${host}:${port}/realtime`;
    },
    get port() {
      return port;
    },
    stats() {
      let authenticated = 0;
      for (const connection of connections) if (connection.actor) authenticated++;
      return { ...counters, openSockets: connections.size, authenticatedSockets: authenticated, connectionTimes: [...counters.connectionTimes], socketQueries: [...counters.socketQueries], received: [...counters.received] };
    },
    login(tenantId = 'tenant-123', userId = 'user-456') {
      counters.logins++;
      return issue({ tenantId, userId });
    },
    emit,
    broadcast,
    push(frame, tenantId) {
      let sent = 0;
      for (const connection of connections) {
        if (!connection.actor || (tenantId !== undefined && connection.actor.tenantId !== tenantId)) continue;
        sendFrame(connection, frame);
        sent++;
      }
      return sent;
    },
    drop(code = 1012) {
      for (const connection of connections) connection.socket.close(code, 'dropped by test');
    },
    setAccepting(next) {
      accepting = next;
    },
    setAuthMode(mode, count) {
      authMode = mode;
      authModeLeft = count ?? Number.POSITIVE_INFINITY;
    },
    setRefreshFails(fails) {
      refreshFails = fails;
    },
    setReplayFaults(faults) {
      replayFailures = faults.fail ?? 0;
      replayUnauthorized = faults.unauthorized ?? 0;
      replayDelayMs = faults.delayMs ?? 0;
      replayStalls = faults.stallBody ?? 0;
    },
    expireTokens() {
      for (const info of tokens.values()) info.revoked = true;
      for (const connection of connections) {
        if (!connection.actor) continue;
        sendFrame(connection, { type: 'connection.error', timestamp: isoNow(), data: { error: 'Token expired', code: 'UNAUTHORIZED' } });
        connection.socket.close(4001, 'token expired');
      }
    },
    async pause() {
      await unlisten();
    },
    async resume() {
      await listen();
    },
    reset() {
      counters = freshStats();
      authMode = 'ok';
      authModeLeft = Number.POSITIVE_INFINITY;
      refreshFails = false;
      replayFailures = 0;
      replayUnauthorized = 0;
      replayDelayMs = 0;
      replayStalls = 0;
      accepting = true;
    },
    async close() {
      clearInterval(idleSweep);
      await unlisten();
      wss.close();
    },
  };
  return backend;
}
