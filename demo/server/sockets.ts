/**
 * The WebSocket side, as the managed gateway behaves: the upgrade (refused while
 * not accepting), post-connection auth answered per the auth mode, the frames a
 * client sends after it, the idle limit, and closing sockets on a test's demand.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { type Actor, newId } from './catalogue.ts';
import { emitEvent, isoNow, sendFrame } from './events.ts';
import { nextAuthMode } from './faults.ts';
import type { Connection, MockState } from './state.ts';
import { verifyToken } from './tokens.ts';
import { controlFrame, verifyCookie } from './dialect.ts';

type Frame = Record<string, unknown>;

/** An error frame, then the close: what the gateway does with a connection it will not serve. */
function refuse(state: MockState, connection: Connection, code: string, error: string): void {
  state.counters.authFailures++;
  sendFrame(connection, { type: 'auth.error', timestamp: isoNow(state), data: { error, code } });
  connection.socket.close(4001, code);
}

function onAuthFrame(state: MockState, connection: Connection, frame: Frame): void {
  state.counters.handshakes++;
  const mode = nextAuthMode(state.faults);
  if (mode === 'hang') return;
  if (mode !== 'ok' && mode !== 'revoked') return refuse(state, connection, mode, `refused by test mode ${mode}`);
  const info = verifyToken(state, frame.token);
  if (!info) return refuse(state, connection, 'UNAUTHORIZED', 'Invalid authentication token');
  connection.actor = { tenantId: info.tenantId, userId: info.userId };
  state.counters.authSuccesses++;
  sendFrame(connection, {
    type: 'auth.success',
    timestamp: isoNow(state),
    data: { tenantId: info.tenantId, userId: info.userId, connectionId: connection.connectionId },
  });
  if (mode === 'revoked') {
    sendFrame(connection, { type: 'connection.error', timestamp: isoNow(state), data: { error: 'Token revoked', code: 'UNAUTHORIZED' } });
    connection.socket.close(4001, 'token revoked');
  }
}

function sendRequestError(state: MockState, connection: Connection, type: string, error: string): void {
  sendFrame(connection, { type, timestamp: isoNow(state), data: { error, code: 'VALIDATION_ERROR' } });
}

/** A frame from an authenticated socket: keep-alives are only counted; a broadcast action becomes an event. */
function onUpstreamFrame(state: MockState, connection: Connection, actor: Actor, frame: Frame): void {
  const { counters } = state;
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
  if (frame.action !== 'broadcast') return sendRequestError(state, connection, 'request.error', `unknown action ${String(frame.action)}`);
  if (typeof frame.data !== 'object' || frame.data === null) return sendRequestError(state, connection, 'broadcast.error', 'data must be an object');
  emitEvent(state, actor.tenantId, 'broadcast.message', { ...(frame.data as Frame), userId: actor.userId });
}

/** A frame in the `events` dialect: the socket authenticated on its upgrade, so everything is upstream. */
function onEventsFrame(state: MockState, connection: Connection, actor: Actor, frame: Frame): void {
  const { counters } = state;
  if (frame.event === 'ping') {
    counters.pings++;
    if (!state.faults.silent) sendFrame(connection, controlFrame('pong'));
    return;
  }
  if (frame.event === 'pong') {
    counters.pongs++;
    connection.awaitingPong = false;
    return;
  }
  counters.upstream++;
  counters.received.push(frame);
  if (frame.event !== 'broadcast' || typeof frame.payload !== 'object' || frame.payload === null) {
    return sendFrame(connection, controlFrame('request.error', { code: 'VALIDATION_ERROR', message: 'send { event: "broadcast", payload: {…} }' }));
  }
  emitEvent(state, actor.tenantId, 'broadcast.message', { ...(frame.payload as Frame), userId: actor.userId });
}

/** `events` dialect: the session cookie authenticated the upgrade; the auth mode may still refuse it in band. */
function openEventsSession(state: MockState, connection: Connection, actor: Actor): void {
  state.counters.handshakes++;
  const mode = nextAuthMode(state.faults);
  if (mode === 'hang') return;
  if (mode !== 'ok' && mode !== 'revoked') {
    state.counters.authFailures++;
    sendFrame(connection, controlFrame('session.refused', { code: mode, message: `refused by test mode ${mode}` }));
    connection.socket.close(4001, mode);
    return;
  }
  connection.actor = actor;
  state.counters.authSuccesses++;
  sendFrame(connection, controlFrame('session.ready', { userId: actor.userId }));
  const pinger = setInterval(() => {
    // Unanswered since the last ping: the client is gone.
    if (connection.awaitingPong) return connection.socket.close(4002, 'no pong');
    connection.awaitingPong = true;
    sendFrame(connection, controlFrame('ping'));
  }, state.settings.serverPingMs);
  connection.socket.on('close', () => clearInterval(pinger));
}

function onSocketMessage(state: MockState, connection: Connection, raw: unknown): void {
  connection.lastReceivedAt = state.settings.idleClock();
  let frame: Frame;
  try {
    frame = JSON.parse(String(raw)) as Frame;
  } catch {
    return sendRequestError(state, connection, 'request.error', 'frame is not JSON');
  }
  if (state.settings.dialect === 'events') return connection.actor ? onEventsFrame(state, connection, connection.actor, frame) : undefined;
  const { actor } = connection;
  if (actor) return onUpstreamFrame(state, connection, actor, frame);
  if (frame.action === 'auth') return onAuthFrame(state, connection, frame);
  refuse(state, connection, 'UNAUTHORIZED', 'authenticate first');
}

export function createSocketServer(state: MockState): WebSocketServer {
  const wss = new WebSocketServer({ noServer: true, maxPayload: 4 * 1024 * 1024 });
  // The second argument is the upgrade request, or in the events dialect the cookie's holder.
  wss.on('connection', (socket: WebSocket, from: unknown) => {
    const connection: Connection = { socket, actor: undefined, connectionId: newId('conn'), lastReceivedAt: state.settings.idleClock() };
    state.connections.add(connection);
    state.counters.connections++;
    state.counters.connectionTimes.push(Date.now());
    socket.on('message', (raw) => onSocketMessage(state, connection, raw));
    socket.on('close', () => state.connections.delete(connection));
    socket.on('error', () => state.connections.delete(connection));
    if (state.settings.dialect === 'events') openEventsSession(state, connection, from as Actor);
  });
  return wss;
}

/** An HTTP upgrade: on /realtime (the gateway's path) or / (the guide's `ws://localhost:5055`), only while accepting; any query string is recorded for the tests. */
export function acceptUpgrade(state: MockState, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  state.counters.upgrades++;
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.search) state.counters.socketQueries.push(url.search);
  if (!state.faults.accepting || (url.pathname !== '/realtime' && url.pathname !== '/')) {
    state.counters.refused++;
    // A client that gives up on the refusal resets the socket: that is no error of the server's.
    socket.on('error', () => {});
    socket.end('HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\n\r\n');
    return;
  }
  if (state.settings.dialect === 'events') return upgradeWithCookie(state, wss, req, socket, head);
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, req));
}

/** `events` dialect: the upgrade request's session cookie is the authentication; without a live one, 401. */
function upgradeWithCookie(state: MockState, wss: WebSocketServer, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const holder = verifyCookie(state, req);
  if (!holder) {
    state.counters.authFailures++;
    socket.end('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\n\r\n');
    return;
  }
  const actor: Actor = { tenantId: holder.tenantId, userId: holder.userId };
  wss.handleUpgrade(req, socket, head, (ws) => wss.emit('connection', ws, actor));
}

/** Closes sockets that received nothing for the idle limit; checks often enough for short limits in tests. */
export function startIdleSweep(state: MockState): NodeJS.Timeout {
  const { idleTimeoutMs, idleClock } = state.settings;
  const sweep = setInterval(() => {
    const now = idleClock();
    for (const connection of state.connections) {
      if (now - connection.lastReceivedAt >= idleTimeoutMs) {
        state.counters.idleClosed++;
        connection.socket.close(1001, 'idle timeout');
      }
    }
  }, Math.max(50, Math.min(idleTimeoutMs / 4, 5000)));
  sweep.unref();
  return sweep;
}

/** Closes every socket, as a gateway restart does. */
export function dropSockets(state: MockState, code: number): void {
  for (const connection of state.connections) connection.socket.close(code, 'dropped by test');
}

/** Tells each authenticated socket its token expired, then closes it. */
export function closeExpiredSockets(state: MockState): void {
  for (const connection of state.connections) {
    if (!connection.actor) continue;
    const expired = { code: 'UNAUTHORIZED', error: 'Token expired' };
    sendFrame(connection, state.settings.dialect === 'events' ? controlFrame('session.error', expired) : { type: 'connection.error', timestamp: isoNow(state), data: expired });
    connection.socket.close(4001, 'token expired');
  }
}

/** Cuts every socket at once (no close handshake) and forgets them, for pause and close. */
export function terminateSockets(state: MockState): void {
  for (const connection of state.connections) connection.socket.terminate();
  state.connections.clear();
}
