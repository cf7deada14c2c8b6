/**
 * The one object the mock backend's modules share. Every module takes it as a
 * parameter, so what one concern can see of another's is written in its signature.
 */
import type { WebSocket } from 'ws';
import type { Actor } from './catalogue.ts';
import type { Dialect } from './dialect.ts';
import { type Faults, freshFaults } from './faults.ts';
import type { BackendStats, MockBackendOptions } from './mock-backend.ts';

export interface TokenInfo extends Actor {
  expiresAt: number;
  revoked: boolean;
}

export interface Connection {
  socket: WebSocket;
  /** Set by a successful handshake; undefined while the socket is unauthenticated. */
  actor: Actor | undefined;
  connectionId: string;
  /** For the idle limit: the gateway counts only what it receives. */
  lastReceivedAt: number;
  /** `events` dialect: a server ping not answered yet (the next ping closes the socket). */
  awaitingPong?: boolean;
}

/** An event as broadcast and as kept for replay. */
export type StoredEnvelope = Record<string, unknown>;

/** The options, defaults applied. */
export interface Settings {
  host: string;
  tokenTtlMs: number;
  idleTimeoutMs: number;
  idleClock: () => number;
  replayCapacity: number;
  broadcastDelayMs: number;
  dialect: Dialect;
  /** `events` dialect: how often the server pings, in ms. */
  serverPingMs: number;
  anyToken: boolean;
}

export interface MockState {
  readonly settings: Settings;
  /** The port listened on; 0 until the first listen picks one, then kept across pause/resume. */
  port: number;
  /** Access tokens issued, by token. */
  readonly tokens: Map<string, TokenInfo>;
  /** Refresh tokens issued, by token: whom a refresh issues for. */
  readonly refreshTokens: Map<string, Actor>;
  /** WebSocket connections open right now. */
  readonly connections: Set<Connection>;
  /** The newest events per tenant, oldest first, for GET /api/events. */
  readonly history: Map<string, StoredEnvelope[]>;
  /** Replaced, not cleared, by reset. */
  counters: BackendStats;
  /** Reset in place, so a request waiting on a fault's delay sees a reset made meanwhile. */
  readonly faults: Faults;
  /** The last timestamp handed out, ms since epoch. */
  lastTimestamp: number;
}

export const freshStats = (): BackendStats => ({
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
  upgrades: 0,
  connectionTimes: [],
  socketQueries: [],
  received: [],
});

export function createState(options: MockBackendOptions): MockState {
  return {
    settings: {
      host: options.host ?? '127.0.0.1',
      tokenTtlMs: options.tokenTtlMs ?? 15 * 60_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 10 * 60_000,
      idleClock: options.idleClock ?? (() => Date.now()),
      replayCapacity: options.replayCapacity ?? 100,
      broadcastDelayMs: options.broadcastDelayMs ?? 0,
      dialect: options.dialect ?? 'purposepath',
      serverPingMs: options.serverPingMs ?? 30_000,
      anyToken: options.anyToken ?? false,
    },
    port: options.port ?? 0,
    tokens: new Map(),
    refreshTokens: new Map(),
    connections: new Set(),
    history: new Map(),
    counters: freshStats(),
    faults: freshFaults(),
    lastTimestamp: 0,
  };
}

/** The counters with the socket gauges filled in; arrays copied so a caller cannot change the live ones. */
export function snapshotStats(state: MockState): BackendStats {
  const { counters, connections } = state;
  let authenticated = 0;
  for (const connection of connections) if (connection.actor) authenticated++;
  return {
    ...counters,
    openSockets: connections.size,
    authenticatedSockets: authenticated,
    connectionTimes: [...counters.connectionTimes],
    socketQueries: [...counters.socketQueries],
    received: [...counters.received],
  };
}
