/**
 * `connectBroker`: the tab side. Starts or joins the SharedWorker, attaches over
 * RPC, receives the batched event stream on a port of its own, routes events to
 * handlers, answers the worker's token requests, forwards online/visibility, and
 * re-attaches by itself when the worker dies.
 */
import type { ConnectionStatus, TransitionReason } from './core/connection.ts';
import type { ResyncSignal } from './core/resync.ts';
import { matches } from './core/subscriptions.ts';
import { TabwireError, type TabwireErrorData } from './errors.ts';
import type { DefaultEvents, EventOf, PatternOf, RealtimeEvent } from './events.ts';
import { type AttachReply, type AttachRequest, type StreamMessage, linkVersion } from './link.ts';
import { type ConnectOptions, resolveConfig } from './options.ts';
import type { RecentQuery } from './ports.ts';
import { isControlType } from './protocol/wire.ts';
import { type RpcClient, RpcError, createRpcClient } from './rpc.ts';
import type { BrokerStats } from '../worker/broker.ts';

declare const __TABWIRE_BUILD__: string | undefined;

/** The build of tabwire this code came from; workers of another build never serve it. */
export const tabwireBuild: string = typeof __TABWIRE_BUILD__ === 'string' ? __TABWIRE_BUILD__ : 'dev';

export type BrokerState = ConnectionStatus;
export type StateListener = (next: ConnectionStatus, prev: ConnectionStatus, reason: TransitionReason) => void;

export interface SendOptions {
  /** Drop the message instead of buffering it while disconnected (typing indicators, presence). */
  volatile?: boolean;
}

export interface Broker<M extends object = DefaultEvents> {
  /** The connection state, as last told by the worker. */
  readonly state: ConnectionStatus;
  /** Why the connection is in its state. */
  readonly reason: TransitionReason;
  /** Resolves once this tab is attached to a worker. */
  readonly ready: Promise<void>;
  /** Subscribe to an exact type, a prefix (`goal.*`) or everything (`*`). Returns the unsubscribe function. */
  on<P extends PatternOf<M>>(pattern: P, handler: (event: EventOf<M, P>) => void): () => void;
  onState(listener: StateListener): () => void;
  /** Once per tab per gap, after the connection is back and settled. */
  onResync(listener: (signal: ResyncSignal) => void): () => void;
  /** Dropped frames, server error frames, a degraded log, a failed replay… (plain data with a `code`). */
  onError(listener: (error: TabwireErrorData) => void): () => void;
  /** Recent events from the log, oldest first. */
  recent<P extends PatternOf<M> = '*'>(query?: RecentQuery & { type?: P }): Promise<Array<EventOf<M, P>>>;
  /** Send upstream; true once written to the socket, false when volatile and dropped. */
  send(message: Record<string, unknown>, options?: SendOptions): Promise<boolean>;
  stats(): Promise<BrokerStats>;
  /** A snapshot of the worker for debugging: state, tabs, subscriptions, counters, recent transitions. No tokens. */
  debug(): Promise<Record<string, unknown>>;
  /** End the session in every tab: socket closed, log wiped. */
  logout(): Promise<void>;
  /** Connect again now: after a new login (from `unauthorized`), or to skip a backoff wait. */
  reconnect(): Promise<void>;
  /** This tab leaves; the others carry on. */
  close(): void;
}

type Handler = (event: RealtimeEvent) => void;

function report(error: unknown): void {
  // An app handler threw: surface it like an event listener would, without stopping the others.
  if (typeof reportError === 'function') reportError(error);
  else setTimeout(() => { throw error; });
}

function toTabwireError(error: unknown): TabwireError {
  if (error instanceof TabwireError) return error;
  if (error instanceof RpcError) return new TabwireError(error.data);
  return new TabwireError({ code: 'INTERNAL', message: (error as Error)?.message ?? String(error) });
}

/** The SharedWorker for a name: Vite bundles the worker only when written as `new SharedWorker(new URL(…), {static})`. */
function bundledWorker(name: string): SharedWorker {
  // A local stand-in under the global's name adds the dynamic name Vite cannot see.
  const SharedWorker = class extends globalThis.SharedWorker {
    constructor(url: URL, options: WorkerOptions) {
      // extendedLifetime: the worker outlives a lone tab's reload where the browser allows it.
      super(url, { ...options, name, extendedLifetime: true } as WorkerOptions);
    }
  };
  return new SharedWorker(new URL('../worker/broker.worker.ts', import.meta.url), { type: 'module' });
}

export function connectBroker<M extends object = DefaultEvents>(options: ConnectOptions): Broker<M> {
  const config = resolveConfig(options);
  const buildId = options.buildId ?? tabwireBuild;
  const callTimeoutMs = options.callTimeoutMs ?? 10_000;
  const tabId = crypto.randomUUID();
  const lockName = `tabwire-tab:${tabId}`;
  const handlers = new Map<string, Set<Handler>>();
  const stateListeners = new Set<StateListener>();
  const resyncListeners = new Set<(signal: ResyncSignal) => void>();
  const errorListeners = new Set<(error: TabwireErrorData) => void>();
  let status: ConnectionStatus = 'idle';
  let reason: TransitionReason = 'initial';
  let closed = false;
  let rpc: RpcClient | undefined;
  let stream: MessagePort | undefined;
  let brokerId: string | undefined;
  let releaseLock: () => void = () => {};
  let attached!: Promise<void>;
  let lostCount = 0;

  const setState = (next: ConnectionStatus, why: TransitionReason) => {
    if (next === status && why === reason) return;
    const prev = status;
    status = next;
    reason = why;
    for (const listener of stateListeners) {
      try {
        listener(next, prev, why);
      } catch (error) {
        report(error);
      }
    }
  };

  const emitError = (error: TabwireErrorData) => {
    for (const listener of errorListeners) {
      try {
        listener(error);
      } catch (e) {
        report(e);
      }
    }
  };

  const deliver = (events: RealtimeEvent[], replayed: boolean) => {
    for (const event of events) {
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

  const answer = async (port: MessagePort, id: number, fn: 'getToken' | 'refreshToken') => {
    try {
      const value = fn === 'getToken' ? await options.getToken() : options.refreshToken ? await options.refreshToken() : undefined;
      if (fn === 'refreshToken' && !options.refreshToken) throw new Error('no refreshToken option');
      if (fn === 'getToken' && (typeof value !== 'string' || value.length === 0)) throw new Error('getToken gave no token');
      port.postMessage({ k: 'ans', id, ok: true, ...(typeof value === 'string' ? { token: value } : {}) });
    } catch (error) {
      // Only the error's name: an app's message might quote a credential.
      port.postMessage({ k: 'ans', id, ok: false, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} failed (${(error as Error)?.name ?? 'error'})` } });
    }
  };

  const onStream = (port: MessagePort) => (event: MessageEvent) => {
    const message = event.data as StreamMessage;
    switch (message.k) {
      case 'ev':
        return deliver(JSON.parse(message.d) as RealtimeEvent[], message.r === 1);
      case 'st':
        return setState(message.s, message.r);
      case 'rs':
        for (const listener of resyncListeners) {
          try {
            listener(message.s);
          } catch (error) {
            report(error);
          }
        }
        return;
      case 'er':
        return emitError(message.e);
      case 'ask':
        return void answer(port, message.id, message.fn);
    }
  };

  const withTimeout = <T>(promise: Promise<T>, what: string): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new TabwireError({ code: 'TIMEOUT', message: `${what} took longer than ${callTimeoutMs} ms` })), callTimeoutMs);
      promise.then(resolve, reject).finally(() => clearTimeout(timer));
    });

  const attachOnce = async (): Promise<void> => {
    if (closed) return;
    const worker = (options.worker ?? bundledWorker)(`tabwire|${buildId}|${config.url}`);
    const channel = new MessageChannel();
    stream?.close();
    stream = channel.port1;
    stream.onmessage = onStream(channel.port1);
    if (rpc) rpc.revive(worker.port);
    else rpc = createRpcClient(worker.port);
    const request: AttachRequest = {
      tabId,
      linkVersion,
      buildId,
      lockName,
      config,
      patterns: [...handlers.keys()],
      online: navigator.onLine,
      visible: typeof document === 'undefined' || document.visibilityState === 'visible',
      ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
    };
    const reply = await withTimeout(rpc.call<AttachReply>('attach', [request], [channel.port2]), 'attaching to the worker');
    if (closed) return;
    brokerId = reply.brokerId;
    lostCount = 0;
    setState(reply.status, reply.reason);
    // Granted only when the broker's holder is gone: the worker died.
    const lostId = reply.brokerId;
    void navigator.locks.request(reply.brokerLock, () => {
      if (!closed && brokerId === lostId) onBrokerLost();
    });
  };

  const attach = async (): Promise<void> => {
    for (;;) {
      try {
        return await attachOnce();
      } catch (error) {
        if (closed) return;
        const data = toTabwireError(error);
        emitError({ code: data.code, message: `attach failed: ${data.message}` });
        // A worker that cannot start must not be restarted in a tight loop.
        await new Promise((resolve) => setTimeout(resolve, Math.min(30_000, 500 * 2 ** lostCount++)));
        if (closed) return;
      }
    }
  };

  const onBrokerLost = () => {
    brokerId = undefined;
    rpc?.failAll({ code: 'WORKER_LOST', message: 'the worker stopped; this tab is attaching to a new one' });
    setState('connecting', 'worker-lost');
    attached = attach();
  };

  const lockHeld = new Promise<void>((resolve) => {
    void navigator.locks.request(lockName, () => {
      resolve();
      // Closed before the lock came (StrictMode mounts, unmounts, mounts): give it back at once.
      if (closed) return;
      return new Promise<void>((release) => {
        releaseLock = release;
      });
    });
  });
  attached = lockHeld.then(() => (closed ? undefined : attach()));

  /**
   * A call to the worker. `retry`: safe to repeat, so retried once on the next
   * worker if this one died. `bounded`: fails with TIMEOUT after callTimeoutMs
   * (not `send`, which legitimately waits in the buffer until reconnected).
   */
  const call = async <T>(method: string, args: unknown[], retry = true, bounded = true): Promise<T> => {
    if (closed) throw new TabwireError({ code: 'CLOSED', message: 'this broker was closed' });
    await attached;
    try {
      const pending = rpc!.call<T>(method, args);
      return await (bounded ? withTimeout(pending, method) : pending);
    } catch (error) {
      const failure = toTabwireError(error);
      if (retry && failure.code === 'WORKER_LOST' && !closed) return call(method, args, false, bounded);
      throw failure;
    }
  };

  const signal = (data: { online?: boolean; visible?: boolean }) => {
    if (brokerId) call('signal', [data]).catch(() => {});
  };
  const onOnline = () => signal({ online: true });
  const onOffline = () => signal({ online: false });
  const onVisibility = () => signal({ visible: document.visibilityState === 'visible' });
  addEventListener('online', onOnline);
  addEventListener('offline', onOffline);
  if (typeof document !== 'undefined') document.addEventListener('visibilitychange', onVisibility);

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
    get ready() {
      return attached;
    },
    on(pattern, handler) {
      if (closed) throw new TabwireError({ code: 'CLOSED', message: 'this broker was closed' });
      let set = handlers.get(pattern);
      if (!set) {
        handlers.set(pattern, (set = new Set()));
        // The attach request carries every pattern, so a subscribe lost with a worker is not lost.
        if (brokerId) call('subscribe', [pattern], false).catch((error: TabwireError) => error.code !== 'WORKER_LOST' && emitError(error));
      }
      const own = handler as Handler;
      set.add(own);
      return () => {
        const current = handlers.get(pattern);
        if (!current?.delete(own) || current.size > 0) return;
        handlers.delete(pattern);
        if (brokerId && !closed) call('unsubscribe', [pattern], false).catch(() => {});
      };
    },
    onState: (listener) => listen(stateListeners, listener),
    onResync: (listener) => listen(resyncListeners, listener),
    onError: (listener) => listen(errorListeners, listener),
    // The worker bounds recent() itself (it waits for a session for up to 10 s).
    recent: (query = {}) => call('recent', [query], true, false),
    send: (message, sendOptions = {}) => call<boolean>('send', [message, sendOptions], false, false),
    stats: () => call('stats', []),
    debug: () => call('debug', []),
    logout: () => call('logout', []),
    reconnect: () => call('reconnect', []),
    close() {
      if (closed) return;
      if (brokerId) rpc?.call('detach', []).catch(() => {});
      closed = true;
      removeEventListener('online', onOnline);
      removeEventListener('offline', onOffline);
      if (typeof document !== 'undefined') document.removeEventListener('visibilitychange', onVisibility);
      // Let the detach leave before the ports close; the released lock tells the worker anyway.
      setTimeout(() => {
        rpc?.dispose();
        stream?.close();
        releaseLock();
      }, 0);
      setState('closed', 'closed-by-tab');
      handlers.clear();
      stateListeners.clear();
      resyncListeners.clear();
      errorListeners.clear();
    },
  };
}
