/**
 * The options of `connectBroker`, their defaults, and their check. Everything
 * here but the functions travels to the worker as `BrokerConfig`.
 */
import { checkRange, checkUrl, inRange, invalid, maxTimerMs, numericOptions } from '../link/config.ts';
import type { BrokerConfig } from '../link/messages.ts';
import type { JsonProtocolOptions, ProtocolOption } from '../link/protocol-option.ts';
import { hashSessionKey } from '../link/session-key.ts';
import { type SseOptions, type TransportOption, isSse } from '../link/transport-option.ts';
import { type LogLevel, type Logger, logLevels } from './logger.ts';
import type { ProtocolLoader } from './hosts/page-protocol.ts';

export interface ConnectOptions {
  /**
   * WebSocket endpoint, `ws://` or `wss://`; with `transport: 'sse'`, the event stream's `http://`
   * or `https://`. Never put credentials in it (docs/protocol.md).
   */
  url: string;
  /**
   * Returns the current access token. Runs in a tab, asked by the worker before
   * every handshake and every replay; the token is used at once and never stored.
   * No token (null, undefined, '') counts as this tab having none: the next tab is asked.
   * Not needed when the browser's cookies authenticate (`CookieConnectOptions`).
   */
  getToken: () => string | null | undefined | Promise<string | null | undefined>;
  /**
   * Refreshes the token after the server said `UNAUTHORIZED`. Runs in exactly
   * one tab per expiry. Afterwards `getToken` must return the new token, or
   * return it from here (a string; anything else is ignored). Resolving means refreshed,
   * throwing or rejecting means refused. Without it, `UNAUTHORIZED` ends in state `unauthorized`.
   */
  refreshToken?: () => unknown;
  /**
   * The backend's dialect: `'purposepath'` (docs/protocol.md), or a JSON backend described field
   * by field — envelope fields, auth frame or `auth: 'cookie'`, control types, keep-alive
   * (docs/protocols.md). Plain data: it travels to the worker. @default 'purposepath'
   */
  protocol?: ProtocolOption;
  /**
   * Payload schemas by event type, in the compact form `'id text from:s count:n note?'`
   * (kinds s, n, b, a, z; `?` optional): events of these types with a payload of another shape
   * are reported, and dropped with `invalidPayloads: 'drop'`. They add to the dialect's own
   * (PurposePath's catalogue); types with no schema are always relayed. @default none
   */
  schemas?: Record<string, string>;
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
     * Retries wait `reconnect.minDelayMs`, then twice that. @default 5000
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
  /**
   * The backend's dialect in code for a broker this page runs (`sharing: 'leader'` or `'none'`, or
   * `'auto'` where no SharedWorker runs): give the same dialect your worker entry starts, e.g.
   * `() => import('tabwire/graphql-ws').then((m) => m.graphqlWsProtocol({ … }))`. Called once, only
   * when this page starts a broker, so a dynamic `import()` keeps the dialect's code out of the page
   * until then. Code, not data: it never travels to a worker. A loader that fails (or, in a leader
   * tab, has not settled in 5 s) starts no broker: `onError` is told `WORKER_UNAVAILABLE` and the tab
   * tries again later, calling it again; some browsers keep a failed `import()` failing until reload.
   * @default none: a page broker speaks the dialect the `protocol` option describes
   */
  pageProtocol?: ProtocolLoader;
  /** Ping after this long without sending, in ms (the gateway drops idle sockets at 10 min). @default 480_000 */
  keepAliveMs?: number;
  /** How the broker retries a lost or refused connection (one group; the shared broker takes the first tab's). */
  reconnect?: ReconnectOptions;
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
  /**
   * How long a channel stays subscribed at the server after the last tab let go of it, in ms: a
   * tab that reloads takes it back without an unsubscribe and a subscribe. @default 1000
   */
  channelLingerMs?: number;
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

  // ── Transport ────────────────────────────────────────────────────────────────
  /**
   * How the broker reaches the server: `'websocket'`, or a Server-Sent Events stream, one per
   * browser like the socket (`'sse'`, or `{ type: 'sse', reader, auth, resume, … }`,
   * docs/protocols.md "Server-Sent Events"). Over SSE nothing goes upstream: `send()` rejects with
   * `SEND_UNSUPPORTED`. Plain data: it travels to the worker, which checks it. @default 'websocket'
   */
  transport?: TransportOption;

  /**
   * Where this tab writes tabwire's lines: the broker's (connection changes, gaps, dropped frames,
   * errors: the same in every tab, so a SharedWorker's story can be read where its console cannot)
   * and this tab's (the broker it attached to). `console` fits. Never a token. @default none
   */
  logger?: Logger;
  /** The least a line must weigh to reach `logger`: 'debug', 'info', 'warn', 'error' or 'silent'. @default 'warn' */
  logLevel?: LogLevel;
}

/**
 * The options of an app whose socket and events-since endpoint a session cookie authenticates:
 * `getToken` is not needed (the broker never asks for a token), nor `refreshToken` (without it a
 * refusal ends in state `unauthorized`).
 */
export type CookieConnectOptions =
  | (Omit<ConnectOptions, 'getToken' | 'protocol'> & {
      getToken?: ConnectOptions['getToken'];
      protocol: JsonProtocolOptions & { auth: 'cookie' };
    })
  /** An SSE stream authenticated by the browser's cookies (its default). */
  | (Omit<ConnectOptions, 'getToken' | 'transport'> & {
      getToken?: ConnectOptions['getToken'];
      transport: 'sse' | (SseOptions & { auth?: 'cookie' });
    });

export interface ReconnectOptions {
  /** First and smallest delay before a retry, in ms: the floor of the jittered exponential backoff. @default 1000 */
  minDelayMs?: number;
  /** Largest delay before a retry, in ms: the cap of the backoff. @default 30_000 */
  maxDelayMs?: number;
  /**
   * Fixed delays before retry 1, 2, 3… in ms (the last repeats), instead of the jittered
   * exponential backoff. An array, not a function: it travels to the worker. @default none
   */
  delaysMs?: number[];
  /**
   * A strategy: the delay in ms before 1-based `attempt`, instead of the jittered exponential
   * backoff. Functions cannot travel to the worker, so the tab that configures the broker samples
   * it once for attempts 1–32 (the 32nd repeats). Jitter it returns is drawn then, per browser,
   * which still spreads browsers apart after a server restart. Not with `delaysMs`. @default none
   */
  delayMs?: (attempt: number) => number;
  /**
   * Stop retrying after this many failed tries in a row (the first try included; the count resets
   * once a connection stayed up `healthyAfterMs`): the state becomes `closed` with reason
   * `retries-exhausted`, until a tab attaches or `reconnect()` is called. @default Infinity (unlimited)
   */
  maxAttempts?: number;
}

/** How many attempts of a `delayMs` strategy are sampled; the last repeats. */
const strategySamples = 32;

/** The fixed delays the worker retries with: given, sampled from a strategy, or none (jittered backoff). */
function retryDelays({ delayMs: strategy, delaysMs }: ReconnectOptions): number[] | undefined {
  if (strategy !== undefined && delaysMs !== undefined) throw invalid('give reconnect.delayMs or reconnect.delaysMs, not both');
  if (strategy !== undefined && typeof strategy !== 'function') throw invalid('reconnect.delayMs must be a function (attempt) => ms');
  const delays = strategy ? Array.from({ length: strategySamples }, (_, i) => strategy(i + 1)) : delaysMs;
  const bad = Array.isArray(delays) ? delays.findIndex((d) => !inRange(d, 0)) : delays === undefined ? -1 : 0;
  if (bad >= 0) {
    throw invalid(strategy ? `reconnect.delayMs(${bad + 1}) must return a number of ms from 0 to ${maxTimerMs}, got ${String(delays![bad])}` : `reconnect.delaysMs must be an array of numbers from 0 to ${maxTimerMs} (ms)`);
  }
  return delays;
}

/** The browser's cookies authenticate: no token is ever asked. */
function cookieSession(options: ConnectOptions | CookieConnectOptions, sse: boolean): boolean {
  if (sse) {
    const auth = typeof options.transport === 'object' ? options.transport.auth : undefined;
    return auth === undefined || auth === 'cookie';
  }
  return (options.protocol as JsonProtocolOptions | undefined)?.auth === 'cookie';
}

/** Check the options and fill in defaults. Throws `TabwireError` INVALID_ARGUMENT naming the option. */
export function resolveConfig(options: ConnectOptions | CookieConnectOptions): BrokerConfig {
  if (typeof options !== 'object' || options === null) throw invalid('connectBroker needs an options object');
  const sse = isSse(options.transport);
  const url = checkUrl(options.url, 'url', sse);
  // Checked in full where it is used, in the broker (an attach with a bad one fails INVALID_ARGUMENT,
  // naming the option): the check and its defaults would otherwise weigh on every app's page.
  const { protocol, schemas, getToken } = options;
  // A cookie session needs no token; a getToken given anyway must still be a function.
  if (typeof getToken !== 'function' && (getToken || !cookieSession(options, sse))) throw invalid('getToken must be a function returning the access token');
  if (options.refreshToken !== undefined && typeof options.refreshToken !== 'function') throw invalid('refreshToken must be a function');
  if (options.pageProtocol !== undefined && typeof options.pageProtocol !== 'function') throw invalid('pageProtocol must be a function');
  if (options.logLevel !== undefined && !logLevels.includes(options.logLevel)) throw invalid(`logLevel must be 'debug', 'info', 'warn', 'error' or 'silent', got ${JSON.stringify(options.logLevel)}`);
  if (options.sharing !== undefined && !['auto', 'worker', 'leader', 'none'].includes(options.sharing)) {
    throw invalid(`sharing must be 'auto', 'worker', 'leader' or 'none', got ${JSON.stringify(options.sharing)}`);
  }
  const resync = options.resync ?? {};
  if (resync.eventsSinceUrl !== undefined && typeof resync.eventsSinceUrl !== 'string') throw invalid('resync.eventsSinceUrl must be a URL string');
  const reconnect = options.reconnect ?? {};
  const delays = retryDelays(reconnect);
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
    // 'purposepath' is the default, what the broker reads an absent protocol as; anything else it checks.
    ...(protocol !== undefined && protocol !== 'purposepath' && { protocol }),
    ...(schemas && { schemas }),
    ...(sse && { transport: options.transport === 'sse' ? { type: 'sse' } : options.transport }),
  } as BrokerConfig;
  for (const [key, path, fallback, min, max] of numericOptions) {
    // `resync.settleMs` is read from options.resync.settleMs, and so on.
    const value = path.split('.').reduce<unknown>((at, part) => (at as Record<string, unknown> | undefined)?.[part], options);
    if (value !== undefined) checkRange(path, value, min, max);
    config[key] = (value as number | undefined) ?? fallback;
  }
  // Only when given: a config without channels stays as it was.
  if (options.channelLingerMs !== undefined) {
    checkRange('channelLingerMs', options.channelLingerMs, 0);
    config.channelLingerMs = options.channelLingerMs;
  }
  if (config.maxDelayMs < config.minDelayMs) {
    if (reconnect.maxDelayMs !== undefined) throw invalid(`reconnect.maxDelayMs must be ≥ reconnect.minDelayMs (${config.minDelayMs}), got ${config.maxDelayMs}`);
    config.maxDelayMs = config.minDelayMs;
  }
  return config;
}
