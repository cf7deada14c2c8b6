/**
 * `connectBroker`: the tab side. Attaches to a host (the SharedWorker, a leader
 * tab, or a broker in this page), receives the batched event stream on a channel
 * of its own, routes events to handlers, answers the broker's token requests,
 * forwards online/visibility, re-attaches by itself when the host dies, and moves
 * to a newer build's host after a deploy. This file is the public face and the
 * wiring; each of those is a module of its own (docs/architecture.md, "The parts").
 */
import type { ConnectionStatus, TransitionReason } from '../link/states.ts';
import { type ResyncSignal, isLoggedOut } from '../link/states.ts';
import { isValidPattern } from '../link/patterns.ts';
import { TabwireError, type TabwireErrorData } from '../link/errors.ts';
import type { DefaultEvents, EventOf, PatternOf } from '../link/events.ts';
import type { Sharing } from './hosts/host.ts';
import type { TabEnvironment } from './environment.ts';
import { browserEnvironment } from './browser-environment.ts';
import { type RecentQuery, type UpgradeNotice, recentSessionWaitMs } from '../link/messages.ts';
import { type ConnectOptions, type CookieConnectOptions, resolveConfig } from './options.ts';
import { optionDefaults } from '../link/config.ts';
import type { BrokerStats } from '../link/stats.ts';
import type { BrokerDebug } from '../link/debug.ts';
import { tabwireBuild } from '../link/build-id.ts';
import { randomId } from '../link/random-id.ts';
import { pickSharing, warnIfInsecure } from './sharing.ts';
import { type AppListeners, type ListenOptions, listen, nextEvent, notify, untilAborted } from './listeners.ts';
import { type ConnectionState, type StateListener, connectionState } from './connection-state.ts';
import { type Handler, type Router, createRouter, handoffEventsFor } from './router.ts';
import { type Call, closedError, createCall } from './calls.ts';
import { type LinkManager, linkManager } from './link-manager.ts';
import { type Upgrades, createUpgrades } from './upgrade.ts';
import { streamListener } from './stream.ts';
import { type LogoutChannel, logoutChannel } from './logout-channel.ts';
import { type TabLock, holdTabLock } from './tab-lock.ts';
import { checkRecentQuery } from './recent-query.ts';
import { attachLogger } from './logger.ts';
import { type ChannelHandle, type TabChannels, tabChannels } from './channels.ts';
import { requestOverSocket } from './request.ts';

export interface RequestOptions {
  /** How long to wait for the server's answer, in ms. @default callTimeoutMs */
  timeoutMs?: number;
  /** Aborting it rejects the request with the signal's reason (the answer, if it comes, is dropped). */
  signal?: AbortSignal;
}

export interface SendOptions {
  /** Drop the message instead of buffering it while disconnected (typing indicators, presence). */
  volatile?: boolean;
}

export interface Broker<M extends object = DefaultEvents> {
  /** The connection state, as last told by the broker. */
  readonly state: ConnectionStatus;
  /** Why the connection is in its state. */
  readonly reason: TransitionReason;
  /** How this tab shares the connection now: a SharedWorker, a leader tab, or not at all (it falls back when no worker starts). */
  readonly sharing: Sharing;
  /**
   * Resolves once this tab is attached to a broker (the worker, a leader tab or its own): calls reach
   * it from then on. Says nothing of the connection to the server (see `connected`). Never rejects:
   * a broker that will not start is retried and reported through `onError`, and a tab closed before
   * it attached resolves. Read after the broker was lost, it is the next attachment's.
   */
  readonly ready: Promise<void>;
  /**
   * Resolves the first time the connection is `open` (authenticated). Rejects with a `TabwireError`
   * when it cannot come by itself first: `UNAUTHORIZED` or `FORBIDDEN` (the state became
   * `unauthorized` or `forbidden`), `RETRIES_EXHAUSTED` (`closed`, `retries-exhausted`), `CLOSED`
   * (this tab called `close()`), `INVALID_ARGUMENT` (the broker refused this tab's options, say a
   * protocol it cannot use; every call then fails with it too). Settles once: later drops and reconnections show in `onState`.
   * Stays pending through `offline` and `backoff`, and after `logout()` until the next `open`.
   */
  readonly connected: Promise<void>;
  /**
   * Subscribe to an exact type, a prefix (`goal.*`) or everything (`*`) until the returned
   * function is called or `options.signal` aborts (a signal already aborted subscribes nothing).
   */
  on<P extends PatternOf<M>>(pattern: P, handler: (event: EventOf<M, P>) => void, options?: ListenOptions): () => void;
  /**
   * The next event matching `pattern`. Rejects with `options.signal`'s reason when it aborts first
   * (at once when it already has), with `TabwireError` `CLOSED` when this tab closes first.
   */
  once<P extends PatternOf<M>>(pattern: P, options?: ListenOptions): Promise<EventOf<M, P>>;
  /**
   * Every transition, in every tab: `(next, prev, reason)`, positional by contract (the README's
   * connection states). Until the returned function is called or `options.signal` aborts, as for
   * each `on…` listener below.
   */
  onState(listener: StateListener, options?: ListenOptions): () => void;
  /** Once per tab per gap, after the connection is back and settled. */
  onResync(listener: (signal: ResyncSignal) => void, options?: ListenOptions): () => void;
  /**
   * Dropped frames, server error frames, a degraded log, a failed replay… Each a `TabwireError`
   * (`code`, `message`, `stack`; `serverCode` for server errors, `type` for frame errors, `cause`
   * when something in this tab failed underneath), the same instance for every listener.
   */
  onError(listener: (error: TabwireError) => void, options?: ListenOptions): () => void;
  /** A newer build is live; with `upgrade: 'auto'` a compatible one is moved to by itself. */
  onUpgrade(listener: (notice: UpgradeNotice) => void, options?: ListenOptions): () => void;
  /** Move to the newest build's broker now (with `upgrade: 'manual'`); false when there is none or it needs a reload. */
  upgrade(): Promise<boolean>;
  /**
   * Hold a server-side channel (a topic, a room, a GraphQL subscription) shared by every tab of the
   * browser: one subscription at the server per distinct `name` and `params`. Needs a dialect with a
   * channel seam (docs/protocols.md, "Channels"): the worker entry's, and `pageProtocol` where the
   * broker runs in a page; else the handle ends in `error` (`UNSUPPORTED`).
   */
  channel<T = unknown>(name: string, params?: unknown): ChannelHandle<T>;
  /**
   * Send `message` as a request over the shared socket and resolve with the server's answer (only
   * this tab gets it). Rejects `TIMEOUT` after `timeoutMs` (default `callTimeoutMs`), with the
   * signal's reason on abort, `REQUEST_FAILED` (`serverCode`) when the server answered an error,
   * `CONNECTION_LOST` when the socket dropped first, `NOT_READY` while not open, `CLOSED` after the
   * session ended, `UNSUPPORTED` without a channel seam.
   */
  request<R = unknown>(message: unknown, options?: RequestOptions): Promise<R>;
  /** Recent events from the log, oldest first. */
  recent<P extends PatternOf<M> = '*'>(query?: RecentQuery & { type?: P }): Promise<Array<EventOf<M, P>>>;
  /**
   * Send upstream; true once written to the socket, false when volatile and dropped. While the
   * broker buffers it, it waits (not bounded by `callTimeoutMs`): it rejects `CLOSED` when this
   * tab closes, `WORKER_LOST` when the broker dies.
   */
  send(message: object, options?: SendOptions): Promise<boolean>;
  stats(): Promise<BrokerStats>;
  /** A snapshot of the broker for debugging: state, tabs, subscriptions, counters, recent transitions. No tokens. */
  debug(): Promise<BrokerDebug>;
  /** End the session in every tab: socket closed, log wiped. */
  logout(): Promise<void>;
  /** Connect again now: after a new login (from `unauthorized`), or to skip a backoff wait. */
  reconnect(): Promise<void>;
  /** This tab leaves; the others carry on. */
  close(): void;
}

/** Throws INVALID_ARGUMENT unless `pattern` is a type, `prefix.*` or `*`: every `Broker`'s `on` checks it so. */
export function checkPattern(pattern: string): void {
  if (!isValidPattern(pattern)) throw new TabwireError({ code: 'INVALID_ARGUMENT', message: `pattern must be a type, prefix.* or *, got ${JSON.stringify(pattern)}` });
}

export function connectBroker<M extends object = DefaultEvents>(options: ConnectOptions | CookieConnectOptions): Broker<M> {
  return connectTab<M>(options, browserEnvironment(options.worker, options.pageProtocol));
}

/** `connectBroker` in a given environment: the browser's, or an in-process broker's in Node tests. */
export function connectTab<M extends object = DefaultEvents>(options: ConnectOptions | CookieConnectOptions, env: TabEnvironment): Broker<M> {
  const { clock } = env;
  const report = (error: unknown) => env.report(error);
  const config = resolveConfig(options);
  const buildId = options.buildId ?? tabwireBuild;
  const sharing = pickSharing(options.sharing, env.available);
  const callTimeoutMs = options.callTimeoutMs ?? optionDefaults.callTimeoutMs;
  const tabId = randomId();
  const lockName = `tabwire-tab:${tabId}`;
  const listeners: AppListeners = { resync: new Set(), error: new Set(), upgrade: new Set() };
  /** Tell the error listeners: one `TabwireError` for all of them, `cause` what failed underneath here, if anything. */
  const emitError = (error: TabwireErrorData, cause?: unknown) =>
    notify(listeners.error, error instanceof TabwireError ? error : new TabwireError(error, { cause }), report);
  warnIfInsecure(env, options.sharing, emitError);

  // The state and the router need each other: the router drops what comes while logged out, and
  // forgets what it delivered at a logout, as the channels forget their positions. The state comes
  // first; its logout reaches them through `forgetSession`, bound once they exist (just below),
  // before anything can log out.
  let forgetSession = () => {};
  const connection = connectionState(report, () => forgetSession());
  const router = createRouter(clock, report, () => isLoggedOut(connection.status, connection.reason), handoffEventsFor(config));
  const links = linkManager({ env, options, config, tabId, lockName, buildId, callTimeoutMs, connection, router, emitError }, sharing);
  const call = createCall(clock, callTimeoutMs, links, connection);
  const subscriptions: Subscriptions = {
    subscribe: (pattern) => void call('subscribe', [pattern], false).catch((error: TabwireError) => error.code !== 'WORKER_LOST' && emitError(error)),
    unsubscribe: (pattern) => void call('unsubscribe', [pattern], false).catch(() => {}),
  };
  const channels = tabChannels(call, config.maxFrameBytes, report);
  forgetSession = () => {
    router.forgetDelivered();
    channels.forgetPositions();
  };
  const upgrades = createUpgrades({ clock, config, options, callTimeoutMs, links, connection, router, listeners, emitError, report });
  const onStream = streamListener({ options, router, connection, links, listeners, report, emitError, upgrades, channels });
  const lock = holdTabLock(env.locks, lockName, () => connection.closed);
  // The links' wiring reaches for the calls and the stream's parts, which reach for the links.
  links.start(lock.held, { onStream, ...subscriptions, heldChannels: () => channels.held() });
  const logouts = logoutChannel(env, config, (brokerId) => {
    const link = links.current;
    if (link && link.brokerId !== brokerId && connection.status !== 'closed') call('logout', []).catch(() => {});
  });
  const stopSignals = env.watchSignals((signal) => {
    if (links.current) call('signal', [signal]).catch(() => {});
  });
  const broker = brokerHandle<M>({ callTimeoutMs, connection, router, links, call, subscriptions, upgrades, listeners, logouts, lock, stopSignals, channels });
  if (options.logger) attachLogger(broker, options.logger, options.logLevel ?? 'warn');
  return broker;
}

/** Telling the broker in use of a pattern this tab's handlers take, or no longer take. */
interface Subscriptions {
  subscribe(pattern: string): void;
  unsubscribe(pattern: string): void;
}

/** What the handle an app holds is made of. */
interface HandleParts {
  callTimeoutMs: number;
  connection: ConnectionState;
  router: Router;
  links: LinkManager;
  call: Call;
  subscriptions: Subscriptions;
  upgrades: Upgrades;
  listeners: AppListeners;
  logouts: LogoutChannel;
  lock: TabLock;
  stopSignals(): void;
  channels: TabChannels;
}

/** The `Broker` an app holds: its methods, over the parts `connectTab` put together. */
function brokerHandle<M extends object>(tab: HandleParts): Broker<M> {
  const { connection, router, links, call, listeners } = tab;
  // Aborted by close(): what waits on this tab (`once`) is told CLOSED.
  const lifetime = new AbortController();
  const broker: Broker<M> = {
    get state() {
      return connection.status;
    },
    get reason() {
      return connection.reason;
    },
    get sharing() {
      return links.target.mode;
    },
    get ready() {
      return links.ready;
    },
    connected: connection.connected,
    on(pattern, handler, options) {
      if (connection.closed) throw closedError();
      checkPattern(pattern);
      const own = handler as Handler;
      return untilAborted(() => {
        // The attach request carries every pattern, so a subscribe lost with a broker is not lost.
        if (router.add(pattern, own) && links.current) tab.subscriptions.subscribe(pattern);
        return () => {
          if (router.remove(pattern, own) && links.current && !connection.closed) tab.subscriptions.unsubscribe(pattern);
        };
      }, options?.signal);
    },
    once: (pattern, options) => nextEvent((handler) => broker.on(pattern, handler), [options?.signal, lifetime.signal]),
    onState: (listener, options) => listen(connection.listeners, listener, options),
    onResync: (listener, options) => listen(listeners.resync, listener, options),
    onError: (listener, options) => listen(listeners.error, listener, options),
    onUpgrade: (listener, options) => listen(listeners.upgrade, listener, options),
    upgrade: () => tab.upgrades.upgrade(),
    recent(query = {}) {
      const checked = checkRecentQuery(query);
      if ('problem' in checked) return Promise.reject(new TabwireError({ code: 'INVALID_ARGUMENT', message: checked.problem }));
      // The broker may wait for a session before it answers: that wait on top of the usual bound.
      return call('recent', [checked.query], true, tab.callTimeoutMs + recentSessionWaitMs);
    },
    send: (message, sendOptions = {}) => call<boolean>('send', [message, sendOptions], false, null),
    channel(name, params) {
      if (connection.closed) throw closedError();
      return tab.channels.open(name, params);
    },
    request: (message, requestOptions = {}) => requestOverSocket(call, tab.callTimeoutMs, message, requestOptions),
    stats: () => call('stats', []),
    debug: () => call('debug', []),
    async logout() {
      const brokerId = links.current?.brokerId;
      try {
        await call('logout', []);
      } finally {
        // The other brokers log out even when ours failed or timed out: a user who left is gone everywhere.
        if (!connection.closed) tab.logouts.announce(brokerId);
      }
    },
    reconnect() {
      connection.sessionWanted();
      return call('reconnect', []);
    },
    close() {
      if (connection.closed) return;
      const left = links.close();
      tab.stopSignals();
      // The released lock tells the broker too, should the detach not reach it; only once the broker
      // answered the detach (or did not in time): the lock first would make this tab one that died,
      // whose queued sends still go, after the app was told CLOSED for them.
      void left.then(tab.lock.release);
      tab.logouts.close();
      router.clear();
      lifetime.abort(closedError());
    },
  };
  return broker;
}
