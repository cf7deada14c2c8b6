/**
 * The mock backend: docs/protocol.md on 127.0.0.1 — tokens, post-connection auth,
 * tenant-scoped broadcast of REST writes, the events-since replay endpoint —
 * plus a control API for tests and the demo (counts, drops, faults, raw frames).
 * Every instance can be stopped, and `startMockBackend` always picks a free
 * port unless told one.
 *
 * This module is the one public entry: the types and `startMockBackend`, which
 * wires the concerns together. Each concern is a module taking the shared state
 * (state.ts) as a parameter: tokens.ts, sockets.ts, events.ts, routes.ts,
 * faults.ts, control.ts, and server.ts for the listening port.
 */
import type { WebSocketServer } from 'ws';
import { handleControl } from './control.ts';
import type { Dialect } from './dialect.ts';
import { broadcastEnvelope, emitEvent, isoNow, pushFrame } from './events.ts';
import { resetFaults, setAuthMode, setReplayFaults } from './faults.ts';
import { handleRequest } from './routes.ts';
import { type HttpHandlers, type HttpListener, createListener, listen, unlisten } from './server.ts';
import { acceptUpgrade, closeExpiredSockets, createSocketServer, dropSockets, startIdleSweep, terminateSockets } from './sockets.ts';
import { type MockState, createState, freshStats, snapshotStats } from './state.ts';
import { logIn, revokeAllTokens } from './tokens.ts';

export interface MockBackendOptions {
  /** 0 picks a free port. @default 0 */
  port?: number;
  host?: string;
  /** Access token lifetime, in ms. @default 900_000 (15 min) */
  tokenTtlMs?: number;
  /** The gateway closes a socket that received nothing for this long, in ms. @default 600_000 (10 min) */
  idleTimeoutMs?: number;
  /**
   * The gateway's clock for the idle limit, in ms: a test's fake clock makes the limit run on the
   * test's time (the sweep still looks every quarter of the limit, at most every 5 s). @default Date.now
   */
  idleClock?: () => number;
  /** Events kept per tenant for GET /api/events. @default 100 */
  replayCapacity?: number;
  /** Delay before a REST write's event is broadcast, in ms (the real backend: up to ~500). @default 0 */
  broadcastDelayMs?: number;
  /**
   * The dialect spoken: `purposepath` (docs/protocol.md), or `events` (a session cookie on the
   * upgrade, `{ event, ts, id, payload }` envelopes, server pings expecting a pong, no tenant;
   * demo/server/dialect.ts). Log in with `login()` and send its `accessToken` as the `session` cookie.
   * @default 'purposepath'
   */
  dialect?: Dialect;
  /** `events` dialect: how often the server pings each socket, in ms; unanswered by the next ping, it closes it. @default 30_000 */
  serverPingMs?: number;
  /**
   * Accept any token, not only the ones `/auth/login` issued: an app signed in with its own
   * auth (a JWT of its dev environment) connects as the tenant and user its claims name
   * (`tenantId`/`tenant_id`/`custom:tenantId`, `sub`/`userId`), else tenant-123 and user-456.
   * For local development (`npx tabwire mock`); the tests keep it off.
   * @default false
   */
  anyToken?: boolean;
}

/** How the next handshakes are answered: `ok`, or a refusal code, or `hang` (never answered). */
/** `revoked`: the handshake succeeds, then the connection is refused at once (a token revoked server-side). */
export type AuthMode = 'ok' | 'UNAUTHORIZED' | 'FORBIDDEN' | 'RATE_LIMIT_EXCEEDED' | 'INTERNAL_ERROR' | 'hang' | 'revoked';

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
  /** WebSocket upgrade requests received, accepted or refused: every connection attempt that reached the server. */
  upgrades: number;
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
  /**
   * The server's clock, as it stamps its own frames and events (`auth.success`, `emit`): an ISO
   * timestamp strictly later than any it gave before, for an envelope `broadcast` as given.
   */
  now(): string;
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
  /** `events` dialect: stop (true) or resume (false) answering client pings, as a socket dead one way. */
  setSilent(silent: boolean): void;
  /** Every token expires now: each socket gets connection.error UNAUTHORIZED and is closed. */
  expireTokens(): void;
  /** Stop listening entirely (connections refused), keeping state; `resume` listens again on the same port. */
  pause(): Promise<void>;
  resume(): Promise<void>;
  reset(): void;
  close(): Promise<void>;
}

export async function startMockBackend(options: MockBackendOptions = {}): Promise<MockBackend> {
  const state = createState(options);
  const wss = createSocketServer(state);
  const idleSweep = startIdleSweep(state);
  const listener = createListener();
  const handlers: HttpHandlers = {
    request: (req, res) => handleRequest(state, (action, body, reply) => handleControl(backend, action, body, reply), req, res),
    upgrade: (req, socket, head) => acceptUpgrade(state, wss, req, socket, head),
  };
  await listen(state, listener, handlers);
  const backend = createBackend(state, { wss, idleSweep, listener, handlers });
  return backend;
}

/** What the backend runs on besides its state, for pause, resume and close. */
interface Machinery {
  wss: WebSocketServer;
  idleSweep: NodeJS.Timeout;
  listener: HttpListener;
  handlers: HttpHandlers;
}

function createBackend(state: MockState, { wss, idleSweep, listener, handlers }: Machinery): MockBackend {
  const { host } = state.settings;
  const stopListening = () => {
    terminateSockets(state);
    return unlisten(listener);
  };
  return {
    get httpUrl() {
      return `http://${host}:${state.port}`;
    },
    get wsUrl() {
      return `ws://${host}:${state.port}/realtime`;
    },
    get port() {
      return state.port;
    },
    stats: () => snapshotStats(state),
    login: (tenantId = 'tenant-123', userId = 'user-456') => logIn(state, { tenantId, userId }),
    emit: (tenantId, type, data) => emitEvent(state, tenantId, type, data),
    broadcast: (tenantId, envelope) => broadcastEnvelope(state, tenantId, envelope),
    push: (frame, tenantId) => pushFrame(state, frame, tenantId),
    now: () => isoNow(state),
    drop: (code = 1012) => dropSockets(state, code),
    setAccepting(accepting) {
      state.faults.accepting = accepting;
    },
    setAuthMode: (mode, count) => setAuthMode(state.faults, mode, count),
    setRefreshFails(fails) {
      state.faults.refreshFails = fails;
    },
    setReplayFaults: (faults) => setReplayFaults(state.faults, faults),
    setSilent(silent) {
      state.faults.silent = silent;
    },
    expireTokens() {
      revokeAllTokens(state);
      closeExpiredSockets(state);
    },
    pause: () => stopListening(),
    resume: () => listen(state, listener, handlers),
    reset() {
      state.counters = freshStats();
      resetFaults(state.faults);
    },
    async close() {
      clearInterval(idleSweep);
      await stopListening();
      wss.close();
    },
  };
}
