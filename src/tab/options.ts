/**
 * The options of `connectBroker`, their defaults, and their check. Everything
 * here but the functions travels to the worker as `BrokerConfig`.
 */
import { checkRange, checkUrl, inRange, invalid, maxTimerMs, numericOptions } from '../link/config.ts';
import type { BrokerConfig } from '../link/messages.ts';
import { hashSessionKey } from '../link/session-key.ts';

export interface ConnectOptions {
  /** WebSocket endpoint, `ws://` or `wss://`. Never put credentials in it (docs/protocol.md). */
  url: string;
  /**
   * Returns the current access token. Runs in a tab, asked by the worker before
   * every handshake and every replay; the token is used at once and never stored.
   * No token (null, undefined, '') counts as this tab having none: the next tab is asked.
   */
  getToken: () => string | null | undefined | Promise<string | null | undefined>;
  /**
   * Refreshes the token after the server said `UNAUTHORIZED`. Runs in exactly
   * one tab per expiry. Afterwards `getToken` must return the new token, or
   * return it from here (a string; anything else is ignored). Resolving means refreshed,
   * throwing or rejecting means refused. Without it, `UNAUTHORIZED` ends in state `unauthorized`.
   */
  refreshToken?: () => unknown;
  /** Only events of this tenant reach this tab (the authenticated tenant is always enforced). */
  tenantId?: string;
  /**
   * Which signed-in account this tab is, opaque to tabwire (e.g. `${tenantId}:${userId}`).
   * Tabs share a broker (socket, log, outbox, token requests) only with tabs of the same
   * endpoint, build and `sessionKey`: two accounts side by side in one browser profile (tokens
   * in sessionStorage) never see each other's events, log or sends, and a logout reaches only
   * tabs of the same key. Only a hash of it is used (in worker, lock and channel names, and the
   * log's name); the key itself never leaves this tab. Without it all tabs of the endpoint share
   * one broker, which starts a new session (new log, fresh outbox) whenever the server
   * authenticates another user or tenant. @default none
   */
  sessionKey?: string;
  resync?: {
    /** `GET <url>?since=<ISO>` returning missed envelopes; enables replay after gaps. */
    eventsSinceUrl?: string;
    /** How long a new connection must stay up before a gap counts as closed, in ms. @default 1000 */
    settleMs?: number;
    /** How far before last-seen the replay asks, to catch events sharing or straddling that instant, in ms. @default 1000 */
    overlapMs?: number;
    /** The endpoint's page size: an answer this long may be truncated, so `complete` is false. @default 100 */
    replayLimit?: number;
    /**
     * One events-since request's budget, headers and body together, in ms: an endpoint that stalls
     * is abandoned, the live events held behind it are let through and the gap says `complete: false`.
     * Retries wait `minDelayMs`, then twice that. @default 5000
     */
    timeoutMs?: number;
  };
  log?: {
    /** Events kept per endpoint, tenant and user. @default 500 */
    maxEvents?: number;
    /** Oldest event kept, in ms. @default 86_400_000 (24 h) */
    maxAgeMs?: number;
    /** false keeps no log (recent() answers empty); resync still works. @default true */
    enabled?: boolean;
  };
  /**
   * Starts the SharedWorker. Pass `name` on: it keys the worker by build and endpoint. A factory
   * that ignores it (`() => new SharedWorker(url, { type: 'module' })`) works for tabs of
   * tabwire's own build; with a custom `buildId` it must pass the name on. Defaults to the bundled worker.
   */
  worker?: (name: string) => SharedWorker;
  /** Ping after this long without sending, in ms (the gateway drops idle sockets at 10 min). @default 480_000 */
  keepAliveMs?: number;
  /** First and smallest reconnect delay, in ms. @default 1000 */
  minDelayMs?: number;
  /** Largest reconnect delay, in ms. @default 30_000 */
  maxDelayMs?: number;
  /**
   * Fixed reconnect delays in ms, by attempt (the last repeats), instead of the
   * jittered exponential backoff. An array, not a function: it travels to the worker.
   */
  retryDelaysMs?: number[];
  /**
   * A reconnect strategy: the delay in ms before 1-based `attempt`, instead of the jittered
   * exponential backoff. Functions cannot travel to the worker, so the tab that configures the
   * broker samples it once for attempts 1–32 (the 32nd repeats). Jitter it returns is drawn then,
   * per browser, which still spreads browsers apart after a server restart.
   */
  retryDelayMs?: (attempt: number) => number;
  /** Bound on each of connecting and authenticating, in ms. @default 10_000 */
  handshakeTimeoutMs?: number;
  /** A connection open this long resets the retry count, in ms. @default 5000 */
  healthyAfterMs?: number;
  /** How long one tab may take to answer getToken/refreshToken before the next is asked, in ms. @default 10_000 */
  tokenTimeoutMs?: number;
  /** Upstream messages held while disconnected. @default 100 */
  maxBufferedMessages?: number;
  /** Largest frame accepted from the server or sent to it, in bytes. @default 1_048_576 */
  maxFrameBytes?: number;
  /** How long the worker keeps the socket after the last tab left (a reload comes back), in ms. @default 5000 */
  lingerMs?: number;
  /** Events of a known type with a payload of the wrong shape: dropped and reported, or passed on and reported. @default 'drop' */
  invalidPayloads?: 'drop' | 'pass';
  /** Rename snake_case payload keys to camelCase (an older draft of the backend). @default false */
  normalizeKeys?: boolean;
  /** Identifies the code this tab runs; a worker of another build never serves it. @default tabwire's own build */
  buildId?: string;
  /** Bound on a call to the worker (stats, recent…), in ms. @default 10_000 */
  callTimeoutMs?: number;
  /**
   * How tabs share the connection: `worker` (a SharedWorker), `leader` (a tab
   * elected with Web Locks relays over BroadcastChannel), `none` (a socket per
   * tab). `auto` picks the first available in that order. @default 'auto'
   */
  sharing?: 'auto' | 'worker' | 'leader' | 'none';
  /**
   * After a deploy, move to the newer build's broker by itself when it speaks
   * the same link (`auto`), or only when `upgrade()` is called (`manual`).
   * Either way `onUpgrade` tells. @default 'auto'
   */
  upgrade?: 'auto' | 'manual';
}

/** How many attempts of a `retryDelayMs` strategy are sampled; the last repeats. */
const strategySamples = 32;

function sampleStrategy(options: ConnectOptions): number[] {
  const strategy = options.retryDelayMs;
  if (typeof strategy !== 'function') throw invalid('retryDelayMs must be a function (attempt) => ms');
  if (options.retryDelaysMs !== undefined) throw invalid('give retryDelayMs or retryDelaysMs, not both');
  return Array.from({ length: strategySamples }, (_, i) => {
    const delay = strategy(i + 1);
    if (!inRange(delay, 0)) throw invalid(`retryDelayMs(${i + 1}) must return a number of ms from 0 to ${maxTimerMs}, got ${String(delay)}`);
    return delay;
  });
}

/** Check the options and fill in defaults. Throws `TabwireError` INVALID_ARGUMENT naming the option. */
export function resolveConfig(options: ConnectOptions): BrokerConfig {
  if (typeof options !== 'object' || options === null) throw invalid('connectBroker needs an options object');
  const url = checkUrl(options.url, 'url');
  if (typeof options.getToken !== 'function') throw invalid('getToken must be a function returning the access token');
  if (options.refreshToken !== undefined && typeof options.refreshToken !== 'function') throw invalid('refreshToken must be a function');
  if (options.sharing !== undefined && !['auto', 'worker', 'leader', 'none'].includes(options.sharing)) {
    throw invalid(`sharing must be 'auto', 'worker', 'leader' or 'none', got ${JSON.stringify(options.sharing)}`);
  }
  const resync = options.resync ?? {};
  if (resync.eventsSinceUrl !== undefined && typeof resync.eventsSinceUrl !== 'string') throw invalid('resync.eventsSinceUrl must be a URL string');
  const delays = options.retryDelayMs === undefined ? options.retryDelaysMs : sampleStrategy(options);
  if (delays !== undefined && (!Array.isArray(delays) || delays.some((d) => !inRange(d, 0)))) {
    throw invalid(`retryDelaysMs must be an array of numbers from 0 to ${maxTimerMs} (ms)`);
  }
  if (options.callTimeoutMs !== undefined) checkRange('callTimeoutMs', options.callTimeoutMs, 1);
  // Never echoed: the key names an account.
  if (options.sessionKey !== undefined && !(typeof options.sessionKey === 'string' && options.sessionKey)) throw invalid('sessionKey must be a non-empty string');
  const config = {
    url: url.href,
    ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
    ...(options.sessionKey !== undefined ? { sessionKey: hashSessionKey(options.sessionKey) } : {}),
    ...(resync.eventsSinceUrl !== undefined ? { eventsSinceUrl: resync.eventsSinceUrl } : {}),
    ...(delays && delays.length > 0 ? { retryDelaysMs: delays.slice() } : {}),
    logEnabled: options.log?.enabled ?? true,
    invalidPayloads: options.invalidPayloads === 'pass' ? 'pass' : 'drop',
    normalizeKeys: options.normalizeKeys === true,
  } as BrokerConfig;
  for (const [key, path, fallback, min, max] of numericOptions) {
    // `resync.settleMs` is read from options.resync.settleMs, and so on.
    const value = path.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], options);
    if (value !== undefined) checkRange(path, value, min, max);
    config[key] = (value as number | undefined) ?? fallback;
  }
  if (config.maxDelayMs < config.minDelayMs) {
    if (options.maxDelayMs !== undefined) throw invalid(`maxDelayMs must be ≥ minDelayMs (${config.minDelayMs}), got ${config.maxDelayMs}`);
    config.maxDelayMs = config.minDelayMs;
  }
  return config;
}
