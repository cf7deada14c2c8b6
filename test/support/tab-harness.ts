/**
 * Real tabs for Node integration tests: each `TestTab` is `connectTab(...)` from
 * src/tab/client.ts — the code a browser tab runs — in a `TabEnvironment` wired
 * to a test world instead of a browser:
 *
 * - `openHost` reaches the world's *current* in-process `Broker` the way a
 *   SharedWorker host does (`broker.accept(control.port2)`, the stream's
 *   `port1` kept, its `port2` transferred with `attach`), so a tab that lost
 *   its broker re-attaches to the one `restartBroker()` made; a tab that falls
 *   back to `sharing: 'none'` gets a broker of its own, as `localHost` starts
 *   one in a page;
 * - `locks`: the world's one `FakeLockManager`, which the brokers wait on too;
 * - `channel`: the world's `ChannelBus` (logout notices stay in the world);
 * - `online()`/`visible()`/`watchSignals`: flags the test sets (`setOnline`, `setVisible`);
 * - `report`: recorded; the world fails the test at `dispose` if a handler threw;
 * - the clock: the system's.
 *
 * Everything the tests read (`events`, `states`, `resyncs`, `errors`,
 * `timeline`, token call counts) is filled from the client's public API. Its
 * token functions can be told per call to answer, hang, refuse or have nothing
 * to offer.
 *
 * `close()` is a tab leaving (the client's own `close()`); `crash()` is a tab
 * dying: its ports close, its locks are released by the lock manager as a
 * browser does for a dead page, and its environment turns inert (timers
 * cleared and never fired, hosts never found, signals and channels dead), so
 * the client, which does not know it died, does nothing more.
 */
import type { Broker } from '../../src/broker/broker.ts';
import type { TabwireError, TabwireErrorData } from '../../src/link/errors.ts';
import type { RealtimeEvent } from '../../src/link/events.ts';
import type { ConnectionStatus, ResyncSignal, TransitionReason } from '../../src/link/states.ts';
import { type Broker as TabBroker, connectTab } from '../../src/tab/client.ts';
import type { HostRequest, TabChannel, TabEnvironment } from '../../src/tab/environment.ts';
import type { Host } from '../../src/tab/hosts/host.ts';
import type { Endpoint } from '../../src/link/rpc.ts';
import { pageHost } from '../../src/tab/hosts/local.ts';
import type { ConnectOptions } from '../../src/tab/options.ts';
import type { ChannelBus, FakePage } from './fake-channels.ts';
import type { FakeLockManager } from './fake-lock-manager.ts';

/** `cannot`: this tab has no token (getToken) or no refreshToken to offer; another tab should be asked. */
export type TokenBehaviour = 'answer' | 'hang' | 'refuse' | 'cannot';

/** What the connect options of tests may hold: any `ConnectOptions` (getToken comes from the harness). */
export type TabConfig = Partial<Omit<ConnectOptions, 'getToken' | 'refreshToken'>>;

export interface TabOptions extends TabConfig {
  /** Subscribed with `on()` before the tab attaches, so the attach request carries them. @default ['*'] */
  patterns?: string[];
  online?: boolean;
  visible?: boolean;
  /** This tab's getToken when it answers. @default the world's session's token */
  token?: () => string | undefined | Promise<string | undefined>;
  /** This tab's refreshToken when it answers. @default the world's refresh */
  refresh?: () => Promise<string | undefined>;
}

/** What a world gives its tabs. */
export interface TabWiring {
  locks: FakeLockManager;
  bus: ChannelBus;
  /** The broker a SharedWorker host reaches now, for a tab asking for `request.target` (its own build's, or a newer one's). */
  broker(request: HostRequest): Broker;
  /** A broker of the tab's own (`sharing: 'none'`), stopped by `stop`. */
  ownBroker(buildId: string): { broker: Broker; stop(): void };
  token(): string | undefined | Promise<string | undefined>;
  refresh(): Promise<string | undefined>;
  /** Every `report` of every tab: app handler errors, which tests do not expect. */
  reports: unknown[];
}

/** The groups of `ConnectOptions` merged key by key rather than replaced. */
const groups = ['reconnect', 'resync', 'log'] as const;

/** Later options over earlier ones, the `reconnect`, `resync` and `log` groups merged key by key. */
export function mergeOptions<T extends TabConfig>(...layers: Array<T | undefined>): T {
  const merged: Record<string, unknown> = {};
  for (const layer of layers) {
    if (!layer) continue;
    for (const [key, value] of Object.entries(layer)) {
      if (value === undefined) continue;
      merged[key] = (groups as readonly string[]).includes(key) ? { ...(merged[key] as object | undefined), ...(value as object) } : value;
    }
  }
  return merged as T;
}

/** An error as plain data (code, message, serverCode, type), what the tests compare. */
const plain = (error: TabwireError): TabwireErrorData => ({
  code: error.code,
  message: error.message,
  ...(error.serverCode !== undefined ? { serverCode: error.serverCode } : {}),
  ...(error.type !== undefined ? { type: error.type } : {}),
});

const never = <T>() => new Promise<T>(() => {});

let tabs = 0;

export class TestTab {
  /** A label for messages; the client's own tab id is `tabId`. */
  readonly id = `tab-${++tabs}`;
  /** The real client. */
  readonly broker: TabBroker;
  readonly events: RealtimeEvent[] = [];
  readonly states: Array<{ status: ConnectionStatus; prev: ConnectionStatus; reason: TransitionReason }> = [];
  readonly resyncs: ResyncSignal[] = [];
  /** What `onError` told, as plain data; `errorObjects` holds the `TabwireError`s themselves (their `cause`). */
  readonly errors: TabwireErrorData[] = [];
  readonly errorObjects: TabwireError[] = [];
  /** Everything received, in order: `ev:<type>`, `st:<status>`, `rs:<reason>`, so tests can check what came after what. */
  readonly timeline: string[] = [];
  /** App handler errors this tab's client reported. */
  readonly reports: unknown[] = [];
  tokenBehaviour: TokenBehaviour = 'answer';
  refreshBehaviour: TokenBehaviour = 'answer';
  /** Calls of this tab's getToken / refreshToken (a refreshToken it does not offer is not called). */
  tokenCalls = 0;
  refreshCalls = 0;
  /** The client's tab id (its lock is `tabwire-tab:<tabId>`), known once it opened a host. */
  tabId: string | undefined;
  #dead = false;
  #online: boolean;
  #visible: boolean;
  #onSignal: ((signal: { online?: boolean; visible?: boolean }) => void) | undefined;
  readonly #timers = new Set<ReturnType<typeof setTimeout>>();
  readonly #hosts = new Set<Host>();
  readonly #channels = new Set<TabChannel>();
  readonly #locks = new Set<{ name: string; abort: AbortController; granted: boolean }>();
  readonly #page: FakePage;
  readonly #seen = new WeakSet<object>();
  #hostsHeld: Promise<void> | undefined;
  #releaseHosts: (() => void) | undefined;
  /** What the broker posted on the stream while this tab was not reading, in order. */
  readonly #unread: Array<{ event: MessageEvent; deliver: () => void }> = [];
  #reading = true;
  /** Most messages waiting unread on this tab's stream at once (see `stopReading`). */
  unreadPeak = 0;

  constructor(
    private readonly wiring: TabWiring,
    options: TabOptions,
  ) {
    const { patterns = ['*'], online = true, visible = true, token, refresh, ...config } = options;
    this.#online = online;
    this.#visible = visible;
    this.#page = wiring.bus.page();
    const self = this;
    const getToken = async (): Promise<string | undefined> => {
      this.tokenCalls++;
      switch (this.tokenBehaviour) {
        case 'hang':
          return never();
        case 'refuse':
          throw new Error('getToken refused');
        case 'cannot':
          return undefined;
        default:
          return (token ?? wiring.token)();
      }
    };
    const refreshToken = async (): Promise<string | undefined> => {
      this.refreshCalls++;
      switch (this.refreshBehaviour) {
        case 'hang':
          return never();
        case 'refuse':
          throw new Error('refreshToken refused');
        default:
          return (refresh ?? wiring.refresh)();
      }
    };
    const connectOptions = {
      buildId: 'test',
      sharing: 'worker',
      ...config,
      getToken,
      // Read by the client each time it is asked: a tab that has none to offer answers "cannot".
      get refreshToken() {
        return self.refreshBehaviour === 'cannot' ? undefined : refreshToken;
      },
    } as ConnectOptions;
    this.broker = connectTab(connectOptions, this.#environment());
    for (const pattern of patterns) this.on(pattern);
    this.broker.onState((status, prev, reason) => {
      if (this.#dead) return;
      this.states.push({ status, prev, reason });
      this.timeline.push(`st:${status}`);
    });
    this.broker.onResync((signal) => {
      if (this.#dead) return;
      this.resyncs.push(signal);
      this.timeline.push(`rs:${signal.reason}`);
    });
    this.broker.onError((error) => {
      if (this.#dead) return;
      this.errorObjects.push(error);
      this.errors.push(plain(error));
    });
  }

  /** The connection state the client shows. */
  get status(): ConnectionStatus {
    return this.broker.state;
  }

  get dead(): boolean {
    return this.#dead;
  }

  types(): string[] {
    return this.events.map((event) => event.type);
  }

  /** `on(pattern)` recording into `events` (an event matching two of this tab's patterns is recorded once). */
  on(pattern: string): () => void {
    return this.broker.on(pattern as '*', (event) => {
      if (this.#dead || this.#seen.has(event)) return;
      this.#seen.add(event);
      this.events.push(event);
      this.timeline.push(`ev:${event.type}`);
    });
  }

  /** `on(pattern)`, resolved once the broker has the subscription (a call after it has come back). */
  async subscribe(pattern: string): Promise<() => Promise<void>> {
    const off = this.on(pattern);
    await this.synced();
    return async () => {
      off();
      await this.synced();
    };
  }

  /** Resolves once the broker handled everything this tab sent before (calls are answered in order). */
  async synced(): Promise<void> {
    await this.broker.stats();
  }

  /** The page goes on or offline (`online`/`offline` events). */
  async setOnline(online: boolean): Promise<void> {
    this.#online = online;
    this.#onSignal?.({ online });
    await this.synced();
  }

  /** The page is shown or hidden (`visibilitychange`). */
  async setVisible(visible: boolean): Promise<void> {
    this.#visible = visible;
    this.#onSignal?.({ visible });
    await this.synced();
  }

  /** Until `release` is called, this tab finds no host: a re-attach stays between brokers. */
  holdHosts(): () => void {
    this.#hostsHeld ??= new Promise<void>((resolve) => (this.#releaseHosts = resolve));
    return () => {
      this.#releaseHosts?.();
      this.#hostsHeld = undefined;
      this.#releaseHosts = undefined;
    };
  }

  /**
   * The page stops reading its stream until the returned function is called (`stopReading` until
   * `resumeReading`): what the broker posts meanwhile waits in the port, then comes in order.
   */
  freezeStream(): () => void {
    this.stopReading();
    return () => this.resumeReading();
  }

  /**
   * The tab stops reading its stream (a frozen or hung page that keeps its lock): what the broker
   * posts waits, as in a port's queue, until `resumeReading`.
   */
  stopReading(): void {
    this.#reading = false;
  }

  resumeReading(): void {
    this.#reading = true;
    for (const { deliver } of this.#unread.splice(0)) deliver();
  }


  /** The tab leaves: the client's own `close()`. */
  close(): void {
    this.broker.close();
  }

  /** The tab dies: no detach, its ports close, its locks go, its client is never woken again. */
  crash(): void {
    if (this.#dead) return;
    this.#dead = true;
    this.tokenBehaviour = 'hang';
    this.refreshBehaviour = 'hang';
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    for (const host of this.#hosts) host.close();
    for (const channel of this.#channels) channel.close();
    this.#page.frozen = true;
    this.#onSignal = undefined;
    this.#unread.length = 0;
    for (const lock of this.#locks) {
      if (lock.granted) this.wiring.locks.crash(lock.name);
      else lock.abort.abort();
    }
    this.#locks.clear();
  }

  /** Passes a stream message on now, or keeps it unread while the tab is not reading. */
  #readingGate(): ReadingGate {
    return (event, deliver) => {
      if (this.#reading && this.#unread.length === 0) return deliver();
      this.#unread.push({ event, deliver });
      if (this.#reading) this.resumeReading();
      else this.unreadPeak = Math.max(this.unreadPeak, this.#unread.length);
    };
  }

  #environment(): TabEnvironment {
    const { wiring } = this;
    return {
      clock: {
        monotonic: () => performance.now(),
        setTimeout: (callback, ms) => {
          if (this.#dead) return undefined;
          const timer = setTimeout(() => {
            this.#timers.delete(timer);
            if (!this.#dead) callback();
          }, ms);
          this.#timers.add(timer);
          return timer;
        },
        clearTimeout: (handle) => {
          clearTimeout(handle as ReturnType<typeof setTimeout>);
          this.#timers.delete(handle as ReturnType<typeof setTimeout>);
        },
      },
      locks: {
        request: (name, options, callback) => {
          if (this.#dead) return never();
          const lock = { name, abort: new AbortController(), granted: false };
          if (options.signal?.aborted) lock.abort.abort();
          options.signal?.addEventListener('abort', () => lock.abort.abort(), { once: true });
          this.#locks.add(lock);
          const granted = wiring.locks.request(name, { signal: lock.abort.signal }, () => {
            // A dead page's queued request is never granted; if it comes anyway, it is let go at once.
            if (this.#dead) return undefined;
            lock.granted = true;
            return callback() as Promise<void> | void;
          });
          const done = () => void this.#locks.delete(lock);
          granted.then(done, done);
          // What a dead page asked never settles for it.
          return new Promise((resolve, reject) => granted.then((value) => !this.#dead && resolve(value), (error) => !this.#dead && reject(error)));
        },
      },
      available: { worker: true, leader: false },
      openHost: async (request) => {
        this.tabId = request.tabId;
        if (this.#hostsHeld) await this.#hostsHeld;
        if (this.#dead) return never();
        const host = request.target.mode === 'worker' ? workerHost(wiring.broker(request), this.#readingGate()) : ownHost(wiring.ownBroker(request.buildId));
        this.#hosts.add(host);
        return host;
      },
      online: () => this.#online,
      visible: () => this.#visible,
      watchSignals: (onSignal) => {
        this.#onSignal = onSignal;
        return () => {
          if (this.#onSignal === onSignal) this.#onSignal = undefined;
        };
      },
      channel: (name) => {
        if (this.#dead) return undefined;
        const channel = new this.#page.Channel(name);
        this.#channels.add(channel);
        return channel;
      },
      report: (error) => {
        this.reports.push(error);
        wiring.reports.push(error);
      },
    };
  }
}

/** Decides when a message that came on a tab's stream reaches the client. */
type ReadingGate = (event: MessageEvent, deliver: () => void) => void;

/** The stream port as the client sees it: its messages pass the tab's reading gate. */
function gatedStream(port: MessagePort, gate: ReadingGate): Endpoint {
  const listeners = new Map<(event: MessageEvent) => void, (event: MessageEvent) => void>();
  return {
    postMessage: (message, transfer) => port.postMessage(message, transfer ?? []),
    addEventListener(type, listener) {
      const gated = (event: MessageEvent) => gate(event, () => listener(event));
      listeners.set(listener, gated);
      port.addEventListener(type, gated);
    },
    removeEventListener(type, listener) {
      const gated = listeners.get(listener);
      if (gated) port.removeEventListener(type, gated);
      listeners.delete(listener);
    },
    start: () => port.start(),
  };
}

/** As `workerHost` for a SharedWorker: calls on one channel, the stream on a fresh one whose far end travels with `attach`. */
function workerHost(broker: Broker, gate: ReadingGate): Host {
  const control = new MessageChannel();
  const stream = new MessageChannel();
  broker.accept(control.port2);
  return {
    control: control.port1,
    stream: gatedStream(stream.port1, gate),
    transfer: stream.port2,
    close() {
      control.port1.close();
      stream.port1.close();
    },
  };
}

/** As `localHost`: a broker of the tab's own in the page, stopped with the host. */
const ownHost = (own: { broker: Broker; stop(): void }): Host => pageHost(own.broker, () => own.stop());

/** Resolves once `tab` attached (its `ready`); fails naming what it was told instead. */
export async function attached(tab: TestTab, timeoutMs = 5000): Promise<TestTab> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${tab.id} did not attach within ${timeoutMs} ms; errors: ${JSON.stringify(tab.errors)}`)), timeoutMs);
  });
  try {
    await Promise.race([tab.broker.ready, late]);
  } finally {
    clearTimeout(timer);
  }
  return tab;
}
