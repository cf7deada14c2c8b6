/**
 * `connectBroker`: the tab side. Attaches to a host (the SharedWorker, a leader
 * tab, or a broker in this page), receives the batched event stream on a channel
 * of its own, routes events to handlers, answers the broker's token requests,
 * forwards online/visibility, re-attaches by itself when the host dies, and moves
 * to a newer build's host after a deploy.
 */
import type { ConnectionStatus, TransitionReason } from '../link/states.ts';
import type { ResyncSignal } from '../link/states.ts';
import { isValidPattern, matches } from '../link/patterns.ts';
import { TabwireError, type TabwireErrorCode, type TabwireErrorData } from '../link/errors.ts';
import type { DefaultEvents, EventOf, PatternOf, RealtimeEvent } from '../link/events.ts';
import { type Host, type Sharing, type Target, hostName } from './hosts/host.ts';
import type { TabChannel, TabEnvironment } from './environment.ts';
import { browserEnvironment } from './browser-environment.ts';
import { type AttachReply, type AttachRequest, type StreamMessage, type TabAnswer, type UpgradeNotice, linkVersion } from '../link/messages.ts';
import { type ConnectOptions, type CookieConnectOptions, resolveConfig } from './options.ts';
import type { RecentQuery } from '../link/messages.ts';
import { isControlType } from '../link/control-types.ts';
import { type ControlClient, type ControlMethod, type Endpoint, createControlClient } from '../link/rpc.ts';
import type { BrokerStats } from '../link/stats.ts';
import { tabwireBuild } from '../link/build-id.ts';
import { exponentialDelayMs } from '../link/exponential-delay.ts';
import { recentSessionWaitMs } from '../link/messages.ts';
import { randomId } from '../link/random-id.ts';
import { eventKey } from '../link/event-identity.ts';

export { tabwireBuild };

export type BrokerState = ConnectionStatus;
export type StateListener = (next: ConnectionStatus, prev: ConnectionStatus, reason: TransitionReason) => void;
export type { UpgradeNotice } from '../link/messages.ts';

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
   * (this tab called `close()`). Settles once: later drops and reconnections show in `onState`.
   * Stays pending through `offline` and `backoff`, and after `logout()` until the next `open`.
   */
  readonly connected: Promise<void>;
  /** Subscribe to an exact type, a prefix (`goal.*`) or everything (`*`). Returns the unsubscribe function. */
  on<P extends PatternOf<M>>(pattern: P, handler: (event: EventOf<M, P>) => void): () => void;
  /**
   * Every transition, in every tab: `(next, prev, reason)`, positional by contract (the README's
   * connection states). Returns the unsubscribe function.
   */
  onState(listener: StateListener): () => void;
  /** Once per tab per gap, after the connection is back and settled. */
  onResync(listener: (signal: ResyncSignal) => void): () => void;
  /**
   * Dropped frames, server error frames, a degraded log, a failed replay… Each a `TabwireError`
   * (`code`, `message`, `stack`; `serverCode` for server errors, `type` for frame errors, `cause`
   * when something in this tab failed underneath), the same instance for every listener.
   */
  onError(listener: (error: TabwireError) => void): () => void;
  /** A newer build is live; with `upgrade: 'auto'` a compatible one is moved to by itself. */
  onUpgrade(listener: (notice: UpgradeNotice) => void): () => void;
  /** Move to the newest build's broker now (with `upgrade: 'manual'`); false when there is none or it needs a reload. */
  upgrade(): Promise<boolean>;
  /** Recent events from the log, oldest first. */
  recent<P extends PatternOf<M> = '*'>(query?: RecentQuery & { type?: P }): Promise<Array<EventOf<M, P>>>;
  /** Send upstream; true once written to the socket, false when volatile and dropped. */
  send(message: object, options?: SendOptions): Promise<boolean>;
  stats(): Promise<BrokerStats>;
  /** A snapshot of the broker for debugging: state, tabs, subscriptions, counters, recent transitions. No tokens. */
  debug(): Promise<Record<string, unknown>>;
  /** End the session in every tab: socket closed, log wiped. */
  logout(): Promise<void>;
  /** Connect again now: after a new login (from `unauthorized`), or to skip a backoff wait. */
  reconnect(): Promise<void>;
  /** This tab leaves; the others carry on. */
  close(): void;
}

type Handler = (event: RealtimeEvent) => void;

/** On the `tabwire-logout` channel: a tab of this endpoint and account (hashed `sessionKey`) logged out. */
interface LogoutNotice {
  url?: string;
  sessionKey?: string;
  brokerId?: string;
}

/** One attachment to one host. */
interface Link {
  host: Host;
  /** Calls to this host's broker (comlink); every one settles when the broker is lost or left. */
  rpc: ControlClient;
  brokerId: string;
  /** A state message came on this link (newer than the attach reply, which may arrive after it). */
  sawState: boolean;
  /** The latest state this link's broker told: its attach reply, then its state messages. */
  status?: ConnectionStatus;
  reason?: TransitionReason;
  /** Settles once this link's broker is open. */
  opened: Promise<void>;
  markOpen(): void;
  /** The patterns its attach request carried: `on()` calls made while it attached are not among them. */
  patterns: Set<string>;
  /** Withdraws the wait on the broker's lock when we leave it, so a closed tab holds no queued request. */
  watch: AbortController;
}

/**
 * What `connected` rejects with, by the state (or `closed` by its reason) that a connection which
 * never opened will not leave by itself. `closed` after `logout` is left: `reconnect()` follows a login.
 */
const neverOpens: Partial<Record<string, TabwireErrorCode>> = {
  unauthorized: 'UNAUTHORIZED',
  forbidden: 'FORBIDDEN',
  'retries-exhausted': 'RETRIES_EXHAUSTED',
  'closed-by-tab': 'CLOSED',
};

function toTabwireError(error: unknown): TabwireError {
  if (error instanceof TabwireError) return error;
  return new TabwireError({ code: 'INTERNAL', message: (error as Error)?.message ?? String(error) });
}

/** The best way to share available here, or the one asked for if it is available. */
function pickSharing(wanted: ConnectOptions['sharing'], { worker, leader }: TabEnvironment['available']): Sharing {
  if ((wanted === 'worker' && !worker) || (wanted === 'leader' && !leader)) {
    throw new TabwireError({ code: 'INVALID_ARGUMENT', message: `sharing '${wanted}' is not available in this browser` });
  }
  if (wanted && wanted !== 'auto') return wanted;
  return worker ? 'worker' : leader ? 'leader' : 'none';
}

/** The insecure-context warning is printed once per page, however many brokers it connects. */
let warnedInsecure = false;

/** How long a tab that moved to a newer build still takes events from the old broker, in ms. */
const handoffOverlapMs = 1000;

/** How long the broker lets `recent()` wait for a session before it answers NOT_READY, in ms. */
const brokerSessionWaitMs = recentSessionWaitMs;

/** Identity of an event for the short window in which two brokers may both deliver it: the broker's own. */
const identity = (event: RealtimeEvent) => eventKey(event);

export function connectBroker<M extends object = DefaultEvents>(options: ConnectOptions | CookieConnectOptions): Broker<M> {
  return connectTab<M>(options, browserEnvironment(options.worker));
}

/** `connectBroker` in a given environment: the browser's, or an in-process broker's in Node tests. */
export function connectTab<M extends object = DefaultEvents>(options: ConnectOptions | CookieConnectOptions, env: TabEnvironment): Broker<M> {
  const { clock } = env;
  const setTimeout = (callback: () => void, ms: number) => clock.setTimeout(callback, ms);
  const clearTimeout = (handle: unknown) => clock.clearTimeout(handle);
  const report = (error: unknown) => env.report(error);
  const config = resolveConfig(options);
  const buildId = options.buildId ?? tabwireBuild;
  const sharing = pickSharing(options.sharing, env.available);
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const tabId = randomId();
  const lockName = `tabwire-tab:${tabId}`;
  const handlers = new Map<string, Set<Handler>>();
  const stateListeners = new Set<StateListener>();
  const resyncListeners = new Set<(signal: ResyncSignal) => void>();
  const errorListeners = new Set<(error: TabwireError) => void>();
  const upgradeListeners = new Set<(notice: UpgradeNotice) => void>();
  let target: Target = { mode: sharing, buildId };
  let status: ConnectionStatus = 'idle';
  let reason: TransitionReason = 'initial';
  let closed = false;
  let link: Link | undefined;
  /** The link being attached while none is in use: its state messages count. */
  let connecting: Link | undefined;
  let releaseLock: () => void = () => {};
  let attached!: Promise<void>;
  let failures = 0;
  let upgradeTo: UpgradeNotice | undefined;
  // After a host change two brokers may deliver the same events for a moment: remember the
  // last few delivered, and drop repeats until `dedupeUntil`.
  const lastDelivered: RealtimeEvent[] = [];
  const seen = new Set<string>();
  let dedupeUntil = 0;
  /** After losing a broker: the last event's time, so the next one can send what came since. */
  let resumeSince: string | undefined;
  /** Re-attaching after a broker died without having received any event: the new broker says to refetch. */
  let resumedEmpty = false;

  const emit = <T>(listeners: Set<(value: T) => void>, value: T) => {
    for (const listener of listeners) {
      try {
        listener(value);
      } catch (error) {
        report(error);
      }
    }
  };

  /** Tell the error listeners: one `TabwireError` for all of them, `cause` what failed underneath here, if anything. */
  const emitError = (error: TabwireErrorData, cause?: unknown) =>
    emit(errorListeners, error instanceof TabwireError ? error : new TabwireError(error, { cause }));
  if (!env.locks && (options.sharing ?? 'auto') === 'auto') {
    // Not a secure context (plain http at a LAN address): say once why every tab has its own socket.
    const message = 'no Web Locks here (not a secure context): this tab keeps a connection of its own';
    if (!warnedInsecure) console.warn(`tabwire: ${message}`);
    warnedInsecure = true;
    // After connectBroker returned, so the app's onError listener is there to hear it.
    setTimeout(() => emitError({ code: 'WORKER_UNAVAILABLE', message }), 0);
  }

  let settleConnected: ((failure?: TabwireError) => void) | undefined;
  const connected = new Promise<void>((resolve, reject) => {
    settleConnected = (failure) => (failure ? reject(failure) : resolve());
  });
  // An app that never reads `connected` must not see an unhandled rejection for it.
  connected.catch(() => {});
  /** `connected` settles at the first `open`, or at the first state that will not open by itself. */
  const followConnected = (next: ConnectionStatus, why: TransitionReason) => {
    const code = neverOpens[next === 'closed' ? why : next];
    if (next !== 'open' && !code) return;
    settleConnected?.(code && new TabwireError({ code, message: `not connected: ${next} (${why})` }));
    settleConnected = undefined;
  };

  const setState = (next: ConnectionStatus, why: TransitionReason) => {
    // Once closed, a link still attaching or a late state message must not revive this broker.
    if ((next === status && why === reason) || closed) return;
    if (next === 'closed' && why === 'logout') {
      // Nothing of the user who left stays in this tab either.
      lastDelivered.length = 0;
      seen.clear();
    }
    const prev = status;
    status = next;
    reason = why;
    followConnected(next, why);
    for (const listener of stateListeners) {
      try {
        listener(next, prev, why);
      } catch (error) {
        report(error);
      }
    }
  };

  const startDedupe = () => {
    // A duration: a wall clock set back or forward must not stretch or skip it.
    dedupeUntil = clock.monotonic() + 5000;
    for (const event of lastDelivered) seen.add(identity(event));
  };

  const deliver = (events: RealtimeEvent[], replayed: boolean) => {
    // Logged out: nothing of the session that ended reaches a handler, whatever was still in flight.
    if (status === 'closed' && reason === 'logout') return;
    const window = dedupeUntil > clock.monotonic();
    if (!window && seen.size > 0) seen.clear();
    for (const event of events) {
      if (window) {
        const key = identity(event);
        if (seen.has(key)) continue;
        seen.add(key);
      }
      lastDelivered.push(event);
      if (lastDelivered.length > 64) lastDelivered.shift();
      if (replayed) event.replayed = true;
      const control = isControlType(event.type);
      for (const [pattern, set] of handlers) {
        if (control ? pattern !== event.type : !matches(pattern, event.type)) continue;
        for (const handler of set) {
          try {
            handler(event);
          } catch (error) {
            report(error);
          }
        }
      }
    }
  };

  const answer = async (stream: Endpoint, id: number, fn: 'getToken' | 'refreshToken') => {
    const reply = (message: TabAnswer) => stream.postMessage(message);
    // Not a refusal: this tab cannot, another one may.
    const cannot = (message: string) => reply({ k: 'ans', id, ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE', message } });
    const run = fn === 'getToken' ? options.getToken : options.refreshToken;
    if (!run) return cannot('this tab has no refreshToken');
    let value: unknown;
    try {
      value = await run.call(options);
    } catch (error) {
      // Only the error's name: an app's message might quote a credential.
      return reply({ k: 'ans', id, ok: false, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} failed (${(error as Error)?.name ?? 'error'})` } });
    }
    const token = typeof value === 'string' && value ? value : undefined;
    if (fn === 'getToken' && !token) return cannot('this tab has no token');
    reply({ k: 'ans', id, ok: true, ...(token ? { token } : {}) });
  };

  const onStream = (stream: Endpoint, from: Link) => (event: MessageEvent) => {
    const message = event.data as StreamMessage;
    switch (message.k) {
      case 'ev':
        return deliver(JSON.parse(message.d) as RealtimeEvent[], message.r === 1);
      case 'st':
        from.status = message.s;
        from.reason = message.r;
        if (message.s === 'open') from.markOpen();
        // The link in use speaks for the connection state, or the one being attached when none is.
        if (from === link || (!link && from === connecting)) {
          from.sawState = true;
          setState(message.s, message.r);
        }
        return;
      case 'rs':
        return emit(resyncListeners, message.s);
      case 'er':
        return emitError(message.e);
      case 'ask':
        return void answer(stream, message.id, message.fn);
      case 'up':
        // Builds announce themselves per endpoint: a newer worker of another account is not ours.
        if (message.n.name?.startsWith('tabwire|') && message.n.name !== hostName(message.n.buildId, config.url, config.sessionKey)) return;
        if (upgradeTo?.buildId === message.n.buildId) return;
        upgradeTo = message.n;
        emit(upgradeListeners, message.n);
        if (options.upgrade !== 'manual' && message.n.compatible) void move(message.n);
    }
  };

  const withTimeout = <T>(promise: Promise<T>, what: string, ms = callTimeoutMs): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TabwireError({ code: 'TIMEOUT', message: `${what} took longer than ${ms} ms` })), ms);
      promise.then(resolve, reject).finally(() => clearTimeout(timer));
    });

  const openHost = (): Promise<Host> =>
    env.openHost({ target, name: hostName(target.buildId, config.url, config.sessionKey), tabId, buildId });

  /** Open a host and attach to it. The returned link is not yet the one in use. */
  const connect = async (): Promise<Link | undefined> => {
    if (closed) return undefined;
    const opening = openHost();
    const host = await withTimeout(opening, 'finding a broker').catch((error: unknown) => {
      // Given up on, it may still come: closed then, so its channels and timers do not live on.
      void opening.then((late) => late.close(), () => {});
      throw error;
    });
    const rpc = createControlClient(host.control);
    let markOpen!: () => void;
    const opened = new Promise<void>((resolve) => (markOpen = resolve));
    const patterns = [...handlers.keys()];
    const current: Link = { host, rpc, brokerId: '', sawState: false, opened, markOpen, patterns: new Set(patterns), watch: new AbortController() };
    connecting = current;
    host.stream.addEventListener('message', onStream(host.stream, current));
    host.stream.start?.();
    const request: AttachRequest = {
      tabId,
      linkVersion,
      buildId: target.buildId,
      lockName,
      config,
      patterns,
      online: env.online(),
      visible: env.visible(),
      ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
      ...(resumeSince !== undefined ? { since: resumeSince } : {}),
      ...(resumedEmpty ? { resumed: true as const } : {}),
    };
    let reply: AttachReply;
    // A host that fails before it answers (a worker that cannot start) fails the attach at once.
    const failed = host.lost?.then(() => {
      throw new TabwireError({ code: 'WORKER_LOST', message: 'the broker failed to start' });
    });
    try {
      // The stream port goes with the call where ports can travel (the worker); a leader's stream is its own channel.
      const attaching = rpc.attach(request, host.transfer);
      reply = await withTimeout(failed ? Promise.race([attaching, failed]) : attaching, 'attaching');
    } catch (error) {
      rpc.failAll({ code: 'CLOSED', message: 'this tab gave up attaching there' });
      host.close();
      throw error;
    }
    current.brokerId = reply.brokerId;
    if (!current.sawState) {
      current.status = reply.status;
      current.reason = reply.reason;
      if (reply.status === 'open') markOpen();
      if (!link) setState(reply.status, reply.reason);
    }
    const lostNow = () => {
      if (!closed && link === current) onBrokerLost();
    };
    // Granted only when the broker's holder is gone: the worker or the leader tab died. Without
    // Web Locks the broker is this page's own (sharing 'none'): it dies with the tab.
    env.locks?.request(reply.brokerLock, { signal: current.watch.signal }, lostNow).catch(() => {});
    void host.lost?.then(lostNow);
    return current;
  };

  const use = (next: Link, adoptState = false) => {
    link = next;
    connecting = undefined;
    resumeSince = undefined;
    resumedEmpty = false;
    failures = 0;
    if (adoptState && next.status && next.reason) setState(next.status, next.reason);
    // Subscriptions made or dropped while this link attached went to no broker, or to the one we left.
    for (const pattern of handlers.keys()) if (!next.patterns.has(pattern)) subscribe(pattern);
    for (const pattern of next.patterns) if (!handlers.has(pattern)) unsubscribe(pattern);
  };

  const attach = async (): Promise<void> => {
    for (;;) {
      try {
        const next = await connect();
        if (!next) return;
        if (closed) return leave(next);
        return use(next);
      } catch (error) {
        if (closed) return;
        const data = toTabwireError(error);
        const { code } = data;
        // A worker of another build answered, or none starts (the constructor threw, its script failed,
        // it never answered) and the app did not insist on one: keep working through a leader tab of
        // our own build, or on our own where a leader cannot be elected. Told once.
        const noWorker = code === 'WORKER_UNAVAILABLE' || code === 'WORKER_LOST' || code === 'TIMEOUT';
        if (target.mode === 'worker' && (code === 'BUILD_MISMATCH' || (noWorker && options.sharing !== 'worker'))) {
          target = { mode: env.available.leader ? 'leader' : 'none', buildId };
          emitError({ code: 'WORKER_UNAVAILABLE', message: `no SharedWorker: ${data.message}` }, data);
          continue;
        }
        emitError({ code, message: `attach failed: ${data.message}` }, data);
        // The broker refused the options (a bad protocol or schemas): trying again cannot help.
        if (code === 'INVALID_ARGUMENT') return;
        // A broker that cannot start must not be restarted in a tight loop.
        await new Promise<void>((resolve) => setTimeout(resolve, exponentialDelayMs(500, failures++, 30_000)));
        if (closed) return;
      }
    }
  };

  /** Detach from a broker we are leaving, without waiting on it; its channels close a moment later. */
  const leave = (left: Link) => {
    left.watch.abort();
    left.rpc.call('detach', []).catch(() => {});
    setTimeout(() => {
      // Calls still waiting there are repeated on the broker in use, or fail (send): never left hanging.
      left.rpc.failAll({ code: 'WORKER_LOST', message: 'this tab left that broker' });
      left.host.close();
    }, 100);
  };

  const onBrokerLost = () => {
    const lost = link;
    link = undefined;
    lost?.rpc.failAll({ code: 'WORKER_LOST', message: 'the broker stopped; this tab is attaching to a new one' });
    lost?.host.close();
    // The new broker may replay what the old one delivered last: drop repeats for a moment.
    startDedupe();
    // The last event's own time (server time); with none, no guess from this browser's clock.
    resumeSince = lastDelivered.at(-1)?.timestamp;
    resumedEmpty = resumeSince === undefined;
    setState('connecting', 'worker-lost');
    attached = attach();
  };

  /** Move to a newer build's broker: attach there first, then leave the old one, dropping events both deliver. */
  let moving: Promise<boolean> | undefined;
  const move = (notice: UpgradeNotice): Promise<boolean> =>
    (moving ??= (async () => {
      if (!notice.compatible || closed || notice.buildId === target.buildId) return false;
      await attached;
      const previous = link;
      const previousTarget = target;
      target = { mode: notice.mode, buildId: notice.buildId, ...(notice.script ? { script: notice.script } : {}), ...(notice.name ? { name: notice.name } : {}) };
      try {
        const next = await connect();
        if (!next) return false;
        // Leave the old broker only once the new one is open: until then only the old one relays.
        const open = await Promise.race([next.opened.then(() => true), new Promise<boolean>((resolve) => setTimeout(() => resolve(false), callTimeoutMs))]);
        if (!open || closed) {
          leave(next);
          target = previousTarget;
          if (!closed) emitError({ code: 'TIMEOUT', message: 'the newer build did not connect; staying' });
          return false;
        }
        // From here both brokers relay until the old one lets go: drop what comes twice.
        // (Still within the task that said "open", so no event of the new link slipped by.)
        startDedupe();
        // The new broker's state: its messages were not ours to follow until now.
        use(next, true);
      } catch (error) {
        target = previousTarget;
        emitError({ code: toTabwireError(error).code, message: 'could not move to the newer build; staying' }, error);
        return false;
      } finally {
        moving = undefined;
      }
      if (previous) {
        // Stop following the old broker's fate now, but keep its events a while: its socket may
        // be behind the new one (tens of ms under load), and an event it had yet to relay would be
        // lost by leaving at once (seen: 1 in ~6 deploys on a loaded machine). Repeats are dropped.
        previous.watch.abort();
        setTimeout(() => leave(previous), handoffOverlapMs);
      }
      return true;
    })());

  const lockHeld = new Promise<void>((resolve) => {
    // Without Web Locks there is no other broker to tell of this tab's death: nothing to hold.
    if (!env.locks) return resolve();
    void env.locks.request(lockName, {}, () => {
      resolve();
      // Closed before the lock came (StrictMode mounts, unmounts, mounts): give it back at once.
      if (closed) return;
      return new Promise<void>((release) => {
        releaseLock = release;
      });
    });
  });
  attached = lockHeld.then(() => (closed ? undefined : attach()));

  const closedError = () => new TabwireError({ code: 'CLOSED', message: 'this broker was closed' });

  /**
   * A call to the broker. `retry`: safe to repeat, so retried once on the next
   * broker if this one died. `boundMs`: fails with TIMEOUT after that long;
   * undefined only for `send`, which legitimately waits in the buffer until
   * reconnected, and settles when this tab closes (CLOSED) or the broker dies (WORKER_LOST).
   */
  const call = async <T>(method: ControlMethod, args: unknown[], retry = true, boundMs: number | undefined = callTimeoutMs): Promise<T> => {
    if (closed) throw closedError();
    // Waiting for a broker counts against the call's timeout, even for calls that may then wait
    // longer in it (send, recent): one that cannot start is retried forever.
    await withTimeout(attached, method);
    if (closed) throw closedError();
    try {
      if (!link) throw new TabwireError({ code: 'WORKER_LOST', message: 'no broker attached' });
      const pending = link.rpc.call<T>(method, args);
      return await (boundMs === undefined ? pending : withTimeout(pending, method, boundMs));
    } catch (error) {
      const failure = toTabwireError(error);
      if (retry && failure.code === 'WORKER_LOST' && !closed) return call(method, args, false, boundMs);
      throw failure;
    }
  };

  // Logout reaches every broker of this endpoint and account in the browser, not only ours: tabs on
  // their own (sharing 'none') and tabs still on another build's worker log out too; another
  // account's tabs (another sessionKey) do not.
  const logouts: TabChannel | undefined = env.channel('tabwire-logout');
  logouts?.addEventListener('message', ({ data }: MessageEvent<LogoutNotice>) => {
    if (data?.url !== config.url || data.sessionKey !== config.sessionKey) return;
    if (link && link.brokerId !== data.brokerId && status !== 'closed') call('logout', []).catch(() => {});
  });

  const subscribe = (pattern: string) =>
    call('subscribe', [pattern], false).catch((error: TabwireError) => error.code !== 'WORKER_LOST' && emitError(error));
  const unsubscribe = (pattern: string) => call('unsubscribe', [pattern], false).catch(() => {});

  const signal = (data: { online?: boolean; visible?: boolean }) => {
    if (link) call('signal', [data]).catch(() => {});
  };
  const stopSignals = env.watchSignals(signal);

  const listen = <L>(set: Set<L>, listener: L) => {
    set.add(listener);
    return () => void set.delete(listener);
  };

  return {
    get state() {
      return status;
    },
    get reason() {
      return reason;
    },
    get sharing() {
      return target.mode;
    },
    get ready() {
      return attached;
    },
    connected,
    on(pattern, handler) {
      if (closed) throw new TabwireError({ code: 'CLOSED', message: 'this broker was closed' });
      if (!isValidPattern(pattern)) {
        throw new TabwireError({ code: 'INVALID_ARGUMENT', message: `pattern must be a type, prefix.* or *, got ${JSON.stringify(pattern)}` });
      }
      let set = handlers.get(pattern);
      if (!set) {
        handlers.set(pattern, (set = new Set()));
        // The attach request carries every pattern, so a subscribe lost with a broker is not lost.
        if (link) subscribe(pattern);
      }
      const own = handler as Handler;
      set.add(own);
      return () => {
        const current = handlers.get(pattern);
        if (!current?.delete(own) || current.size > 0) return;
        handlers.delete(pattern);
        if (link && !closed) unsubscribe(pattern);
      };
    },
    onState: (listener) => listen(stateListeners, listener),
    onResync: (listener) => listen(resyncListeners, listener),
    onError: (listener) => listen(errorListeners, listener),
    onUpgrade: (listener) => listen(upgradeListeners, listener),
    upgrade: () => (upgradeTo ? move(upgradeTo) : Promise.resolve(false)),
    recent(query = {}) {
      const { type, limit } = query;
      const since = query.since instanceof Date ? query.since.toISOString() : query.since;
      const bad =
        type !== undefined && !isValidPattern(type)
          ? `type must be a type, prefix.* or *, got ${JSON.stringify(type)}`
          : since !== undefined && Number.isNaN(Date.parse(since))
            ? `since must be an ISO 8601 timestamp, got ${JSON.stringify(since)}`
            : limit !== undefined && !(Number.isInteger(limit) && limit >= 0)
              ? `limit must be a non-negative integer, got ${JSON.stringify(limit)}`
              : undefined;
      if (bad) return Promise.reject(new TabwireError({ code: 'INVALID_ARGUMENT', message: bad }));
      // The stores compare instants in strict ISO 8601 UTC: '2025-11-03' or a zoneless time means the same here.
      const normalized = since === undefined ? query : { ...query, since: new Date(since).toISOString() };
      // The broker may wait for a session before it answers: that wait on top of the usual bound.
      return call('recent', [normalized], true, callTimeoutMs + brokerSessionWaitMs);
    },
    send: (message, sendOptions = {}) => call<boolean>('send', [message, sendOptions], false, undefined),
    stats: () => call('stats', []),
    debug: () => call('debug', []),
    async logout() {
      const brokerId = link?.brokerId;
      try {
        await call('logout', []);
      } finally {
        // The other brokers log out even when ours failed or timed out: a user who left is gone everywhere.
        if (!closed) logouts?.postMessage({ url: config.url, sessionKey: config.sessionKey, brokerId } satisfies LogoutNotice);
      }
    },
    reconnect: () => call('reconnect', []),
    close() {
      if (closed) return;
      const last = link;
      if (last) {
        leave(last);
        // What this tab still waits for (a send in the buffer) settles now, not with the broker.
        last.rpc.failAll({ code: 'CLOSED', message: 'this broker was closed' });
      }
      setState('closed', 'closed-by-tab');
      closed = true;
      link = undefined;
      connecting = undefined;
      stopSignals();
      // The released lock tells the broker too, should the detach not reach it.
      setTimeout(releaseLock, 0);
      logouts?.close();
      handlers.clear();
    },
  };
}
