/**
 * The broker: one realtime connection shared by every tab. It is host-agnostic:
 * the SharedWorker entry and the leader-tab fallback both create one and hand it
 * each tab's control and stream channels. This class is the façade: it serves
 * the tabs' calls, and once the first tab's config arrives builds the parts
 * that run the connection (`Running`, running.ts).
 */
import type { AttachReply, AttachRequest, BrokerConfig } from '../link/messages.ts';
import { brokerConfigFrom } from './broker-config.ts';
import { errorData } from '../link/errors.ts';
import type { ControlApi, Endpoint } from '../link/rpc.ts';
import { serveControl } from './control.ts';
import type { BrokerStats } from '../link/stats.ts';
import type { BrokerDebug } from '../link/debug.ts';
import { TransitionHistory, brokerStats, newCounters, rateLimitedReport } from './broker-stats.ts';
import type { ReplayModule } from './gap-coordinator.ts';
import { type BuildInfo, BuildRadio } from './builds.ts';
import { type ConnectionEvent, type ConnectionState, initialConnectionState } from './core/connection.ts';
import type { LogPolicy } from './core/log-policy.ts';
import { initialGapState } from './core/resync.ts';
import { Fanout } from './fanout.ts';
import type { EventStore, TransportFactory } from './ports.ts';
import type { Clock } from '../link/clock.ts';
import type { RecentQuery } from '../link/messages.ts';
import type { Envelope } from '../link/envelope.ts';
import type { BackendProtocol } from './protocol/wire.ts';
import type { ChannelPosition, ChannelSpec } from '../link/channels.ts';
import { type BrokerBase, Running } from './running.ts';
import { checkAttach, checkSameConnection, subscribe } from './tab-calls.ts';
import { type LockRequester, type Tab, TabRegistry } from './tabs.ts';

export interface StoreFactory {
  /** The persistent log of one namespace; rejects when IndexedDB cannot be used. */
  open(ns: string, policy: LogPolicy): Promise<EventStore>;
  /** Delete every namespace starting with `prefix` (logout wipes the endpoint's logs). */
  wipePrefix(prefix: string): Promise<void>;
}

export interface BrokerDeps {
  clock: Clock;
  random: () => number;
  transport: TransportFactory;
  stores: StoreFactory;
  locks: LockRequester;
  fetch: typeof fetch;
  brokerId: string;
  /** The Web Lock this broker holds for its lifetime (tabs wait on it to learn it died). */
  brokerLock: string;
  buildId: string;
  /** Relative URLs (eventsSinceUrl) resolve against this. */
  baseUrl: string;
  /**
   * The backend's dialect in code, for an app's own worker entry: the config's `protocol` (data)
   * is then ignored. @default the dialect the config describes, PurposePath's when it names none
   */
  protocol?: BackendProtocol;
  /** Who this broker is among builds; without it, it neither announces itself nor hears of newer builds. */
  build?: BuildInfo;
  /**
   * Up to this many tabs, a batch of events leaves at the end of the task that brought it; with
   * more, two task hops later, so a burst leaves as one batch (see `Fanout`). @default 1 in the
   * SharedWorker (`build.mode` 'worker'); `Infinity` in a page (a leader tab, the page itself): a
   * leader finding its lock stolen closes its tabs' channels before its broker stops, and an event
   * still waiting for a hop would reach them only as a resync.
   */
  batchAtTaskEndUpTo?: number;
  /**
   * Event batches a tab may leave unread (unacknowledged) before the broker stops posting to it:
   * a frozen or hung tab that keeps its lock must not grow its port's queue without end. Past it,
   * what comes is dropped for that tab (counted in `stats().dropped.slowTab`), and the tab is
   * told `complete: false` (`slow-tab`) once it reads again. Only a tab that also acknowledged
   * nothing for `tabStallMs` is cut there; one that still reads, slowly, at 16 times the bound. At
   * least 16. @default 256
   */
  tabBacklogBatches?: number;
  /** How long a tab with a full backlog may acknowledge nothing before it counts as stalled, in ms. @default 2000 */
  tabStallMs?: number;
  /**
   * Loads the replay code (a chunk of its own, fetched on the first gap with an events-since
   * endpoint). A failed load closes that gap with `complete: false`; the next gap loads again.
   * @default `import('./replay.ts')`
   */
  loadReplay?: () => Promise<ReplayModule>;
}

export class Broker {
  readonly tabs = new TabRegistry();
  /** The parts that need the config: built when the first tab's config arrives. */
  #running: Running | undefined;
  /** The config the first tab sent, as it sent it: whose app connection this broker serves (`appIdentity`). */
  #startedWith: BrokerConfig | undefined;
  #disposed = false;
  readonly #base: BrokerBase;
  readonly #startedMonotonic: number;
  readonly #deps: BrokerDeps;

  constructor(deps: BrokerDeps) {
    this.#deps = deps;
    // Wall time the broker started: builds compare it across workers.
    const startedAt = deps.clock.now();
    this.#startedMonotonic = deps.clock.monotonic();
    this.#base = {
      deps,
      tabs: this.tabs,
      fanout: new Fanout(this.tabs, undefined, deps.batchAtTaskEndUpTo ?? (deps.build?.mode === 'worker' ? 1 : Number.POSITIVE_INFINITY)),
      ...(deps.protocol ? { protocol: deps.protocol } : {}),
      radio: deps.build && new BuildRadio(deps.build, startedAt, (notice) => this.tabs.broadcast({ k: 'up', n: notice })),
      counters: newCounters(),
      report: rateLimitedReport(deps.clock, this.tabs),
      history: new TransitionHistory(),
    };
  }

  get status(): ConnectionState {
    return this.#running?.driver.state ?? initialConnectionState;
  }

  /** Serve one tab's control channel. `stream` is given where ports cannot be transferred. */
  accept(control: Endpoint, stream?: Endpoint): void {
    let tab: Tab | undefined;
    const attached = (): Tab => {
      if (!tab?.alive) throw errorData('CLOSED', 'this tab is not attached');
      return tab;
    };
    const stop = serveControl(control, {
      // The worker's tabs hand their stream port over with the call; a leader's cannot, and it was given here.
      attach: (request: AttachRequest, transferred?: MessagePort) => {
        const port = transferred ?? stream;
        if (!port) throw errorData('INVALID_ARGUMENT', 'attach needs a stream port');
        const reply = this.#attach(request, port, () => {
          stop();
          (control as Partial<MessagePort>).close?.();
        });
        tab = this.tabs.get(request.tabId);
        return reply;
      },
      detach: (closing?: boolean) => {
        // Answer first: removing the tab closes the channel the answer goes out on.
        const leaving = tab;
        if (!leaving) return;
        // Marked now: the tab's released lock may remove it before the timer does.
        if (closing === true) leaving.closedByApp = true;
        this.#deps.clock.setTimeout(() => this.#removeTab(leaving), 0);
      },
      subscribe: (pattern: string) => this.#subscribe(attached(), pattern, true),
      unsubscribe: (pattern: string) => this.#subscribe(attached(), pattern, false),
      signal: (signal: { online?: boolean; visible?: boolean }) => this.#signal(attached(), signal),
      send: (message: unknown, options?: { volatile?: boolean }) => this.#send(attached(), message, options ?? {}),
      recent: (query?: RecentQuery) => this.#recent(attached(), query ?? {}),
      // Only to a tab that attached: the snapshot names every tab and the endpoint's config.
      stats: () => (attached(), this.stats()),
      debug: () => (attached(), this.debug()),
      logout: () => (attached(), this.#logout()),
      reconnect: () => (attached(), this.#dispatch({ type: 'reconnect', online: this.#online })),
      channel: (spec: ChannelSpec, from?: ChannelPosition) => this.#calls().channels.hold(attached(), { ...spec, ...(from ? { from } : {}) }),
      unchannel: (key: string) => this.#calls().channels.release(attached(), String(key)),
      request: (message: unknown, timeoutMs: number) => (attached(), this.#calls().requests.request(message, Number(timeoutMs))),
    } satisfies ControlApi);
  }

  // ---- what the calls reach ---------------------------------------------

  #attach(request: AttachRequest, stream: Endpoint, closeControl: () => void): AttachReply {
    checkAttach(request, this.#deps);
    if (this.#startedWith) checkSameConnection(request.config, this.#startedWith);
    return this.#start(request.config).calls.attach(request, stream, closeControl);
  }

  /** The first tab's options configure the broker; what arrived over the port is checked and bounded first. */
  #start(received: BrokerConfig): Running {
    if (this.#running) return this.#running;
    const config = brokerConfigFrom(received);
    // As the tab sent it, not as checked: the identity is the same one the tabs name the worker by.
    this.#startedWith = received;
    // Builds are announced per app connection: one app's or account's tabs never move to another's worker.
    this.#base.radio?.listen(received);
    const running = new Running(this.#base, config);
    // Shut down before any tab came: it never connects.
    if (this.#disposed) running.driver.dispose();
    this.#running = running;
    return running;
  }

  /** Only an attached tab calls, and attaching started the broker. */
  #calls(): Running {
    if (!this.#running) throw errorData('CLOSED', 'this tab is not attached');
    return this.#running;
  }

  #removeTab(tab: Tab): void {
    this.#running?.calls.removeTab(tab);
  }

  #subscribe(tab: Tab, pattern: string, add: boolean): void {
    subscribe(tab, pattern, add);
  }

  #signal(tab: Tab, signal: { online?: boolean; visible?: boolean }): void {
    this.#calls().calls.signal(tab, signal);
  }

  #send(tab: Tab, message: unknown, options: { volatile?: boolean }): Promise<boolean> | boolean {
    return this.#calls().calls.send(tab, message, options);
  }

  #recent(tab: Tab, query: RecentQuery): Promise<Envelope[]> {
    return this.#calls().calls.recent(tab, query);
  }

  #logout(): Promise<void> {
    return this.#calls().logout();
  }

  #dispatch(event: ConnectionEvent): void {
    this.#running?.driver.dispatch(event);
  }

  get #online(): boolean {
    return this.#running?.driver.online ?? true;
  }

  // ---- the façade ---------------------------------------------------------

  stats(): Promise<BrokerStats> {
    const running = this.#running;
    return brokerStats({
      brokerId: this.#deps.brokerId,
      buildId: this.#deps.buildId,
      connection: this.status,
      tabs: this.tabs.size,
      counters: this.#base.counters,
      fanout: this.#base.fanout.counters,
      log: running?.log,
      outbox: running?.session.outboxSize ?? 0,
      session: () => running?.session.current,
      uptimeMs: () => this.#deps.clock.monotonic() - this.#startedMonotonic,
    });
  }

  async debug(): Promise<BrokerDebug> {
    return {
      stats: await this.stats(),
      // The config holds no secrets: tokens never reach the worker's options.
      config: this.#running?.config ?? null,
      gap: this.#running?.gap.state ?? initialGapState,
      tabs: [...this.tabs.all()].map((tab) => ({ id: tab.id, visible: tab.visible, patterns: tab.patterns.patterns() })),
      transitions: this.#base.history.list(),
    };
  }

  /** Stop for good: socket closed, timers cleared, pending log writes flushed, tabs let go. */
  async shutdown(): Promise<void> {
    if (this.#disposed) return;
    this.#disposed = true;
    // Events admitted and logged but still waiting for the fan-out's hops go out first: a tab must not
    // lose what its broker relayed (the log counts it seen) to the broker stopping in between.
    this.#base.fanout.flush();
    this.#running?.shutdown();
    // Stopping releases what a replay held back (the connection left `open`): that goes out too.
    this.#base.fanout.flush();
    this.#base.radio?.close();
    for (const tab of [...this.tabs.all()]) this.tabs.remove(tab.id);
    this.#base.fanout.dispose();
    await this.#running?.log.flush();
  }
}
