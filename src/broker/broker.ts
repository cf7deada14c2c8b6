/**
 * The broker: runs the connection state machine against a real transport, fans
 * events out to tabs, keeps the log and coordinates resync. It is host-agnostic:
 * the SharedWorker entry and the leader-tab fallback both create one and hand it
 * each tab's control and stream channels.
 */
import { type ConnectionConfig, type ConnectionEffect, type ConnectionEvent, type ConnectionState, type TimerName, type TransitionReason, initialConnectionState, transition } from './core/connection.ts';
import { keepAliveStep } from './core/keepalive.ts';
import { type LastSeen, type LogPolicy, RecentKeys, eventKey } from './core/log-policy.ts';
import { Outbox } from './core/outbox.ts';
import { type GapEvent, type GapState, gapTransition, initialGapState } from './core/resync.ts';
import { isValidPattern } from '../link/patterns.ts';
import { type TabwireErrorData, errorData } from '../link/errors.ts';
import { sanitizeBrokerConfig } from '../link/config.ts';
import { type AttachReply, type AttachRequest, type BrokerConfig, linkVersion } from '../link/messages.ts';
import type { Clock, EventStore, RecentQuery, Transport, TransportFactory } from './ports.ts';
import { type Envelope, parseFrame, tenantOf } from './protocol/envelope.ts';
import { normalizeEnvelope, payloadProblem } from './protocol/payloads.ts';
import { type Session, type WireProtocol, defaultWireProtocol } from './protocol/wire.ts';
import type { Endpoint } from '../link/rpc.ts';
import { serveRpc } from '../link/rpc-server.ts';
import type { BrokerStats } from '../link/stats.ts';
import { EventLog } from './event-log.ts';
import { Fanout } from './fanout.ts';
import type { RelayedEvent } from './replay.ts';
import { type BuildInfo, BuildRadio } from './builds.ts';
import { type LockRequester, Tab, TabRegistry } from './tabs.ts';
import { NamedTimers } from './timers.ts';
import { TokenSource } from './token-source.ts';

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
  protocol?: WireProtocol;
  /** Who this broker is among builds; without it, it neither announces itself nor hears of newer builds. */
  build?: BuildInfo;
}


export type { BrokerStats };

interface Outgoing {
  text: string;
  resolve: (sent: boolean) => void;
  reject: (error: TabwireErrorData) => void;
  /** The session it was queued in (`tenant|user`), or undefined before any handshake said whose it is. */
  session: string | undefined;
  tabId: string;
}

/** Who a session belongs to, as one comparable string. */
const sessionIdentity = (session: Session | undefined): string | undefined =>
  session && `${session.tenantId ?? ''}|${session.userId ?? ''}`;


const recentWaitMs = 10_000;
const maxHeldEvents = 10_000;
/** An event stamped this far past the server's clock (as its handshake told it) does not move last-seen, in ms. */
const futureSlackMs = 60_000;
/** How often the worker looks for a sleep it woke from while connected, in ms. */
const wakeCheckMs = 10_000;
/** The wall clock running this far ahead of the monotonic one since the last look means the machine slept, in ms. */
const sleptAfterMs = 30_000;
/**
 * A look this much later than scheduled on the monotonic clock means the same where that clock
 * counts sleep; above what background throttling delays a timer (about a minute), in ms.
 */
const stalledAfterMs = 120_000;

export class Broker {
  readonly tabs = new TabRegistry();
  #config: BrokerConfig | undefined;
  #machine: ConnectionConfig | undefined;
  #connection: ConnectionState = initialConnectionState;
  #gap: GapState = initialGapState;
  readonly #fanout: Fanout;
  readonly #tokens: TokenSource;
  readonly #machineTimers: NamedTimers<TimerName>;
  readonly #timers: NamedTimers<'keepalive' | 'linger' | 'settle' | 'wake'>;
  readonly #protocol: WireProtocol;
  readonly #radio: BuildRadio | undefined;
  #transport: Transport | undefined;
  /** Bumped whenever the transport changes: callbacks of an older one are ignored. */
  #generation = 0;
  #session: Session | undefined;
  /**
   * Bumped when a session ends (logout) or another user or tenant authenticates: work
   * started for an older session (a refresh, a catch-up) is void when it finishes.
   */
  #sessionEpoch = 0;
  /** Server time of the handshake that opened the current connection (ms). */
  #openedAt = 0;
  /** The server's clock as the handshake told it, against our monotonic clock: bounds last-seen. */
  #serverClock: { serverAt: number; monotonicAt: number } | undefined;
  /**
   * The next gap's coverage cannot be trusted: last-seen was clamped from the future, or events
   * came out of order by more than the replay overlap. That gap then says `complete: false`.
   */
  #coverageDoubt = false;
  /**
   * Server time the current session began, when it began after a logout or another user in this
   * broker: replays never reach before it. `pending`: set at the next handshake.
   */
  #replayFloor: number | 'pending' | undefined;
  /** The last wake check, on both clocks. */
  #wakeMark: { wall: number; monotonic: number } | undefined;
  /** Since when (ms) the log holds every event without a gap: what a late tab's catch-up can promise. */
  #coveredSince: number | undefined;
  #log: EventLog | undefined;
  #dedupe = new RecentKeys(2000);
  /** Live events held back while the namespace loads and a replay runs, so replayed ones go first. */
  #held: RelayedEvent[] | null = null;
  #outbox = new Outbox<Outgoing>(100);
  #online = true;
  #lastSentAt = 0;
  #everOpened = false;
  /** Wall time the broker started: builds compare it across workers. */
  readonly #startedAt: number;
  readonly #startedMonotonic: number;
  readonly #pendingEvents: ConnectionEvent[] = [];
  #dispatching = false;
  #disposed = false;
  #namespaceWaiters: Array<() => void> = [];
  readonly #reportedAt = new Map<string, { start: number; count: number }>();
  readonly #history: Array<{ at: number; from: string; to: string; reason: TransitionReason }> = [];
  readonly #counters = {
    socketsOpened: 0,
    handshakes: 0,
    reconnects: 0,
    framesReceived: 0,
    eventsReceived: 0,
    eventsRelayed: 0,
    duplicates: 0,
    replayed: 0,
    resyncs: 0,
    pings: 0,
    sent: 0,
    dropped: { malformed: 0, oversized: 0, tooDeep: 0, invalid: 0, tenant: 0, early: 0, volatile: 0 },
  };

  readonly #deps: BrokerDeps;

  constructor(deps: BrokerDeps) {
    this.#deps = deps;
    this.#startedAt = deps.clock.now();
    this.#startedMonotonic = deps.clock.monotonic();
    this.#protocol = deps.protocol ?? defaultWireProtocol;
    this.#fanout = new Fanout(this.tabs);
    this.#machineTimers = new NamedTimers(deps.clock);
    this.#timers = new NamedTimers(deps.clock);
    this.#tokens = new TokenSource(this.tabs, deps.clock, () => this.#config?.tokenTimeoutMs ?? 10_000);
    this.#radio = deps.build && new BuildRadio(deps.build, this.#startedAt, (notice) => this.tabs.broadcast({ k: 'up', n: notice }));
  }

  get status(): ConnectionState {
    return this.#connection;
  }

  /** Serve one tab's control channel. `stream` is given where ports cannot be transferred. */
  accept(control: Endpoint, stream?: Endpoint): void {
    let tab: Tab | undefined;
    const attached = (): Tab => {
      if (!tab?.alive) throw errorData('CLOSED', 'this tab is not attached');
      return tab;
    };
    const stop = serveRpc(control, (ports) => ({
      attach: (request: AttachRequest) => {
        const port = ports[0] ?? stream;
        if (!port) throw errorData('INVALID_ARGUMENT', 'attach needs a stream port');
        const reply = this.#attach(request, port, () => {
          stop();
          (control as Partial<MessagePort>).close?.();
        });
        tab = this.tabs.get(request.tabId);
        return reply;
      },
      detach: () => {
        // Answer first: removing the tab closes the channel the answer goes out on.
        const leaving = tab;
        if (leaving) this.#deps.clock.setTimeout(() => this.#removeTab(leaving), 0);
      },
      subscribe: (pattern: string) => this.#subscribe(attached(), pattern, true),
      unsubscribe: (pattern: string) => this.#subscribe(attached(), pattern, false),
      signal: (signal: { online?: boolean; visible?: boolean }) => this.#signal(attached(), signal),
      send: (message: unknown, options?: { volatile?: boolean }) => this.#send(attached(), message, options ?? {}),
      recent: (query?: RecentQuery) => this.#recent(attached(), query ?? {}),
      stats: () => this.stats(),
      debug: () => this.debug(),
      logout: () => (attached(), this.#logout()),
      reconnect: () => (attached(), this.#dispatch({ type: 'reconnect', online: this.#online })),
    }));
  }

  // ---- tabs -------------------------------------------------------------

  #attach(request: AttachRequest, stream: Endpoint, closeControl: () => void): AttachReply {
    if (request.linkVersion !== linkVersion) {
      throw errorData('INVALID_ARGUMENT', `tab speaks link version ${request.linkVersion}, broker ${linkVersion}`);
    }
    // A stale worker must not serve new code silently (docs/architecture.md, rule 10).
    if (this.#deps.build && request.buildId !== this.#deps.buildId) {
      throw errorData('BUILD_MISMATCH', `this worker runs build ${this.#deps.buildId}, the tab ${request.buildId}; pass the worker factory's name on`);
    }
    if (!this.#config) this.#configure(request.config);
    const now = this.#deps.clock.monotonic();
    const tab = new Tab(request.tabId, stream, request.tenantId, request.visible, now, closeControl);
    for (const pattern of request.patterns) if (isValidPattern(pattern)) tab.patterns.add(pattern);
    this.tabs.add(tab);
    this.#deps.locks.waitFor(request.lockName, () => this.#removeTab(tab));
    this.#timers.clear('linger');
    if (request.since !== undefined) void this.#catchUp(tab, request.since);
    // A tab arriving after a newer build announced itself is told too.
    const newer = this.#radio?.newer;
    if (newer) tab.post({ k: 'up', n: newer });
    if (request.online !== this.#online) this.#setOnline(request.online);
    this.#dispatch({ type: 'start', online: this.#online });
    return {
      brokerId: this.#deps.brokerId,
      buildId: this.#deps.buildId,
      brokerLock: this.#deps.brokerLock,
      status: this.#connection.status,
      reason: this.#connection.reason,
    };
  }

  #removeTab(tab: Tab): void {
    if (this.tabs.get(tab.id) !== tab) return;
    this.tabs.remove(tab.id);
    if (this.tabs.size > 0) return;
    // Keep the socket a little while: a lone tab that reloads comes straight back.
    this.#timers.set('linger', this.#config?.lingerMs ?? 0, () => {
      if (this.tabs.size > 0) return;
      this.#dispatch({ type: 'stop', reason: 'no-tabs' });
      void this.#log?.flush();
    });
  }

  #subscribe(tab: Tab, pattern: string, add: boolean): void {
    if (!isValidPattern(pattern)) throw errorData('INVALID_ARGUMENT', `invalid subscription pattern ${JSON.stringify(pattern)}`);
    if (add) tab.patterns.add(pattern);
    else tab.patterns.remove(pattern);
  }

  #signal(tab: Tab, signal: { online?: boolean; visible?: boolean }): void {
    if (typeof signal.visible === 'boolean') {
      tab.visible = signal.visible;
      if (signal.visible) tab.activeAt = this.#deps.clock.monotonic();
    }
    if (typeof signal.online === 'boolean' && signal.online !== this.#online) this.#setOnline(signal.online);
    // A tab shown again or back online after a long pause: look for a sleep now, not at the next tick.
    if (signal.visible === true || signal.online === true) this.#checkWake();
  }

  #setOnline(online: boolean): void {
    this.#online = online;
    this.#dispatch({ type: 'network', online });
  }

  // ---- configuration -----------------------------------------------------

  /** The first tab's options configure the broker; what arrived over the port is checked and bounded first. */
  #configure(received: BrokerConfig): void {
    const config = sanitizeBrokerConfig(received);
    this.#config = config;
    // Builds are announced per endpoint and account: one account's tabs never move to another's worker.
    this.#radio?.listen(config.sessionKey ? `${config.url}#${config.sessionKey}` : config.url);
    const delays = config.retryDelaysMs;
    this.#machine = {
      backoff: { minDelayMs: config.minDelayMs, maxDelayMs: config.maxDelayMs },
      retryDelayMs: delays && delays.length > 0 ? (attempt) => delays[Math.min(attempt, delays.length) - 1]! : undefined,
      random: this.#deps.random,
      handshakeTimeoutMs: config.handshakeTimeoutMs,
      healthyAfterMs: config.healthyAfterMs,
      maxAttempts: config.maxAttempts,
    };
    this.#outbox = new Outbox(config.maxBufferedMessages);
    this.#dedupe = new RecentKeys(Math.max(2000, config.logMaxEvents * 2));
    const policy: LogPolicy = { maxEvents: config.logMaxEvents, maxAgeMs: config.logMaxAgeMs };
    this.#log = new EventLog({
      policy,
      enabled: config.logEnabled,
      openStore: (ns) => this.#deps.stores.open(ns, policy),
      clock: this.#deps.clock,
      onDegraded: (reason) => this.#report(errorData('LOG_DEGRADED', `event log kept in memory only: ${reason}`)),
    });
  }

  // ---- the state machine -------------------------------------------------

  #dispatch(event: ConnectionEvent): void {
    if (this.#disposed) return;
    this.#pendingEvents.push(event);
    // Effects may feed events back synchronously; run them after this one, in order.
    if (this.#dispatching || !this.#machine) return;
    this.#dispatching = true;
    try {
      for (let next = this.#pendingEvents.shift(); next; next = this.#pendingEvents.shift()) {
        const prev = this.#connection;
        const { state, effects } = transition(prev, next, this.#machine);
        this.#connection = state;
        for (const effect of effects) this.#perform(effect);
        if (state.status !== prev.status || state.reason !== prev.reason) this.#onStateChanged(prev, state);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  #perform(effect: ConnectionEffect): void {
    switch (effect.type) {
      case 'open-transport':
        return this.#openTransport();
      case 'close-transport':
        return this.#closeTransport(effect.reason);
      case 'authenticate':
        return void this.#authenticate(this.#generation);
      case 'refresh-token':
        return void this.#refreshToken();
      case 'set-timer':
        return this.#machineTimers.set(effect.timer, effect.ms, () => this.#dispatch({ type: 'timer', timer: effect.timer }));
      case 'clear-timers':
        return this.#machineTimers.clearAll();
    }
  }

  #onStateChanged(prev: ConnectionState, next: ConnectionState): void {
    this.#history.push({ at: this.#deps.clock.now(), from: prev.status, to: next.status, reason: next.reason });
    if (this.#history.length > 50) this.#history.shift();
    this.tabs.broadcast({ k: 'st', s: next.status, p: prev.status, r: next.reason });
    if (next.status === 'open' && prev.status !== 'open') this.#onOpened();
    if (prev.status === 'open' && next.status !== 'open') this.#onLost(next);
    // The session stopped: what was queued for it must neither wait forever nor go out under the next one.
    if (next.status === 'unauthorized' || next.status === 'forbidden' || next.status === 'idle' || next.status === 'closed') {
      this.#rejectOutbox('CLOSED', `the connection stopped (${next.status}) before the message could be sent`);
    }
  }

  #rejectOutbox(code: 'CLOSED' | 'SESSION_CHANGED', message: string): void {
    for (const item of this.#outbox.drain()) item.reject(errorData(code, message));
  }

  #openTransport(): void {
    const config = this.#config!;
    const generation = ++this.#generation;
    this.#counters.socketsOpened++;
    if (this.#everOpened) this.#counters.reconnects++;
    const current = () => generation === this.#generation;
    this.#transport = this.#deps.transport(config.url, {
      onOpen: () => current() && this.#dispatch({ type: 'transport-open' }),
      onMessage: (data) => current() && this.#onFrame(data),
      onClose: () => {
        if (!current()) return;
        this.#transport = undefined;
        this.#dispatch({ type: 'transport-closed' });
      },
    });
  }

  #closeTransport(reason: string): void {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#generation++;
    transport?.close(1000, reason);
  }

  async #authenticate(generation: number): Promise<void> {
    const token = await this.#tokens.getToken();
    if (generation !== this.#generation || this.#connection.status !== 'authenticating') return;
    if (!token.ok) {
      this.#report(errorData('TOKEN_UNAVAILABLE', token.cause === 'rejected' ? 'every tab refused to give a token' : 'no tab gave a token in time'));
      this.#dispatch({ type: 'token-unavailable', cause: token.cause });
      return;
    }
    this.#counters.handshakes++;
    // The handshake timer starts now: the wait for the token was bounded per tab.
    this.#dispatch({ type: 'token-ready' });
    if (generation !== this.#generation) return;
    this.#write(this.#protocol.authFrame(token.token));
  }

  async #refreshToken(): Promise<void> {
    const epoch = this.#sessionEpoch;
    const ok = await this.#tokens.refresh();
    // A refresh of a session that ended meanwhile decides nothing for the next one.
    if (epoch !== this.#sessionEpoch) return;
    this.#dispatch(ok ? { type: 'token-refreshed' } : { type: 'refresh-failed' });
  }

  #write(text: string): void {
    this.#transport?.send(text);
    this.#lastSentAt = this.#deps.clock.monotonic();
  }

  #onOpened(): void {
    this.#everOpened = true;
    this.#scheduleKeepAlive();
    this.#scheduleWakeCheck();
    this.#flushOutbox();
    this.#held ??= [];
    void this.#prepareNamespace(this.#generation);
  }

  /**
   * Send what was queued while down — only what belongs to this session: a message queued
   * under another user or tenant is refused, and one queued before any handshake said whose
   * it was goes out only if the tab that queued it is still here.
   */
  #flushOutbox(): void {
    const current = sessionIdentity(this.#session);
    for (const item of this.#outbox.drain()) {
      const foreign = item.session === undefined ? !this.tabs.get(item.tabId)?.alive : item.session !== current;
      if (foreign) {
        item.reject(errorData('SESSION_CHANGED', 'not sent: another user or tenant authenticated before it could go out'));
        continue;
      }
      this.#write(item.text);
      this.#counters.sent++;
      item.resolve(true);
    }
  }

  #onLost(next: ConnectionState): void {
    this.#timers.clear('keepalive');
    this.#timers.clear('wake');
    // After logout nothing of the session that ended reaches a tab.
    if (next.status === 'closed') {
      this.#held = null;
      return;
    }
    // What arrived on the lost connection is still news: deliver it.
    this.#releaseHeld();
    this.#gapDispatch({
      type: 'lost',
      at: this.#serverNow(),
      reason: next.status === 'offline' ? 'offline' : 'reconnect',
      lastSeenAt: this.#log?.lastSeen?.at ?? null,
    });
  }

  #scheduleKeepAlive(): void {
    const config = this.#config!;
    const { nextCheckInMs } = keepAliveStep(this.#deps.clock.monotonic(), this.#lastSentAt, config.keepAliveMs);
    this.#timers.set('keepalive', nextCheckInMs, () => {
      if (this.#connection.status !== 'open') return;
      if (keepAliveStep(this.#deps.clock.monotonic(), this.#lastSentAt, config.keepAliveMs).ping) {
        this.#write(this.#protocol.pingFrame());
        this.#counters.pings++;
      }
      this.#scheduleKeepAlive();
    });
  }

  /**
   * Notice a sleep (laptop lid, a suspended phone) while connected: nothing tells a socket
   * that died without a close until TCP gives up, minutes later. A look every few seconds
   * compares the wall clock, which runs on through a sleep, with the monotonic one, which
   * does not where it counts no sleep; elsewhere the look itself comes far too late.
   */
  #scheduleWakeCheck(): void {
    this.#wakeMark = { wall: this.#deps.clock.now(), monotonic: this.#deps.clock.monotonic() };
    this.#timers.set('wake', wakeCheckMs, () => this.#checkWake());
  }

  #checkWake(): void {
    const mark = this.#wakeMark;
    if (this.#connection.status !== 'open' || !mark) return;
    const monotonicMs = this.#deps.clock.monotonic() - mark.monotonic;
    const wallMs = this.#deps.clock.now() - mark.wall;
    if (wallMs - monotonicMs > sleptAfterMs || monotonicMs > wakeCheckMs + stalledAfterMs) {
      this.#wakeMark = undefined;
      this.#dispatch({ type: 'wake' });
      return;
    }
    if (monotonicMs >= wakeCheckMs) this.#scheduleWakeCheck();
  }

  /** The server's clock now, as the last handshake told it; our wall clock before any. */
  #serverNow(): number {
    const clock = this.#serverClock;
    return clock ? clock.serverAt + (this.#deps.clock.monotonic() - clock.monotonicAt) : this.#deps.clock.now();
  }

  // ---- incoming frames ---------------------------------------------------

  #onFrame(data: unknown): void {
    const config = this.#config!;
    this.#counters.framesReceived++;
    const parsed = parseFrame(data, config.maxFrameBytes);
    if (!parsed.ok) {
      const code = parsed.rejection.code;
      this.#counters.dropped[code === 'OVERSIZED_FRAME' ? 'oversized' : code === 'TOO_DEEP' ? 'tooDeep' : 'malformed']++;
      this.#report(parsed.rejection);
      return;
    }
    const envelope = parsed.envelope;
    const frame = this.#protocol.classify(envelope);
    switch (frame.kind) {
      case 'auth-accepted': {
        if (this.#connection.status !== 'authenticating') return;
        const previous = sessionIdentity(this.#session);
        this.#session = frame.session;
        // Another user or tenant: nothing the broker holds for the previous one carries over.
        if (previous !== undefined && previous !== sessionIdentity(frame.session)) this.#endSession();
        // The server's clock where it said (gap bounds are server time), else ours.
        this.#openedAt = Number.isNaN(parsed.at) ? this.#deps.clock.now() : parsed.at;
        this.#serverClock = { serverAt: this.#openedAt, monotonicAt: this.#deps.clock.monotonic() };
        if (this.#replayFloor === 'pending') this.#replayFloor = this.#openedAt;
        this.#dispatch({ type: 'auth-accepted' });
        this.#fanout.enqueue(data as string, envelope.type, frame.session.tenantId, true);
        return;
      }
      case 'error':
        this.#report(errorData('SERVER_ERROR', frame.message, { serverCode: frame.code, type: envelope.type }));
        this.#fanout.enqueue(data as string, envelope.type, undefined, true);
        if (frame.during !== 'request') this.#dispatch({ type: 'server-error', code: frame.code, during: frame.during });
        return;
      case 'ping':
        this.#write(this.#protocol.pongFrame(new Date(this.#deps.clock.now()).toISOString()));
        return;
      case 'pong':
        return;
      case 'event':
        this.#onEvent(envelope, parsed.at, data as string);
    }
  }

  #onEvent(raw: Envelope, at: number, text: string): void {
    if (this.#connection.status !== 'open') {
      // The server sends events only after auth.success (docs/protocol.md "Handshake").
      this.#counters.dropped.early++;
      return;
    }
    const event = this.#admit(raw, at, text);
    if (!event) return;
    this.#counters.eventsReceived++;
    if (this.#held && this.#held.length < maxHeldEvents) this.#held.push(event);
    else {
      // A replay slower than a burst is long: let live events through rather than hold without bound.
      this.#releaseHeld();
      this.#deliver(event);
    }
  }

  /**
   * The edge checks, once per frame for every tab: older drafts' names and keys
   * normalised, other tenants' events dropped, known types' payloads checked.
   * Returns the event to relay, or undefined when it was dropped (counted and reported).
   */
  #admit(raw: Envelope, at: number, text: string | undefined): RelayedEvent | undefined {
    const config = this.#config!;
    const envelope = normalizeEnvelope(raw, config.normalizeKeys);
    if (!this.#acceptsTenant(envelope)) return undefined;
    const tenant = tenantOf(envelope);
    const problem = payloadProblem(envelope);
    if (problem !== undefined) {
      this.#counters.dropped.invalid++;
      this.#report(errorData('INVALID_PAYLOAD', problem.message, { type: envelope.type }));
      if (problem.fatal && config.invalidPayloads === 'drop') return undefined;
    }
    // Tabs get the frame's own text unless it had to be rewritten.
    const relayText = envelope === raw && text !== undefined ? text : JSON.stringify(envelope);
    return { envelope, at, key: eventKey(envelope), text: relayText, tenant };
  }

  /** Either place a tenant may be named (the payload, or the envelope in older drafts) naming another drops the event. */
  #acceptsTenant(envelope: Envelope): boolean {
    const expected = this.#session?.tenantId ?? this.#config?.tenantId;
    const type = envelope.type;
    const foreign = (tenant: unknown) => tenant !== undefined && tenant !== null && tenant !== expected;
    if (expected === undefined || (!foreign(envelope.data.tenantId) && !foreign(envelope.tenantId))) return true;
    this.#counters.dropped.tenant++;
    // Name the type, never the other tenant's id or payload.
    this.#report(errorData('TENANT_MISMATCH', `dropped a ${type} event of another tenant`, { type }));
    return false;
  }

  #deliver(event: RelayedEvent): void {
    if (!this.#dedupe.add(event.key)) {
      this.#counters.duplicates++;
      return;
    }
    this.#fanout.enqueue(event.text, event.envelope.type, event.tenant);
    this.#record(event);
    this.#counters.eventsRelayed++;
  }

  /**
   * Log a relayed event. last-seen never runs ahead of the server's clock: an event stamped
   * in the future is kept but does not move it (else every later gap would look covered).
   */
  #record(event: RelayedEvent): void {
    const future = event.at > this.#serverNow() + futureSlackMs;
    if (future) {
      this.#report(errorData('FUTURE_TIMESTAMP', `a ${event.envelope.type} event is stamped past the server's clock; last-seen not moved`, { type: event.envelope.type }));
    }
    const lastSeen = this.#log?.lastSeen?.at;
    // Out of order by more than the replay overlap: a replay from last-seen could miss events like it.
    if (lastSeen !== undefined && event.at < lastSeen - this.#config!.replayOverlapMs) this.#coverageDoubt = true;
    this.#log?.append({ key: event.key, at: event.at, envelope: event.envelope }, !future);
  }

  #releaseHeld(): void {
    const held = this.#held;
    this.#held = null;
    if (held) for (const event of held) this.#deliver(event);
  }

  // ---- namespace, gaps and replay ----------------------------------------

  /** The log's namespace: endpoint (and the app's hashed session key), tenant, user. */
  #namespace(): string {
    return `${this.#endpointPrefix()}${this.#session?.tenantId ?? ''}|${this.#session?.userId ?? ''}`;
  }

  /** What every namespace of this endpoint and session key starts with: logout wipes them all. */
  #endpointPrefix(): string {
    const { url, sessionKey } = this.#config!;
    return sessionKey ? `${url}#${sessionKey}|` : `${url}|`;
  }

  /** Another user or tenant authenticated: void what the previous session started, refuse what it queued. */
  #endSession(): void {
    this.#sessionEpoch++;
    this.#replayFloor = 'pending';
    this.#tokens.forget();
    this.#held = null;
    this.#dedupe.clear();
  }

  async #prepareNamespace(generation: number): Promise<void> {
    const log = this.#log!;
    const ns = this.#namespace();
    const previous = log.namespace;
    const opened = await log.open(ns);
    if (generation !== this.#generation) return;
    const stored = this.#clampStored(opened);
    if (previous !== ns) {
      if (stored) for (const key of await log.keysSince(stored.at - this.#config!.replayOverlapMs)) this.#dedupe.add(key);
      if (generation !== this.#generation) return;
    }
    for (const wake of this.#namespaceWaiters.splice(0)) wake();
    log.markConnected(this.#openedAt);
    if (previous !== undefined && previous !== ns) {
      // Another user or tenant on this endpoint: every tab refetches; the old gap is not theirs.
      this.#gapDispatch({ type: 'session-changed', at: this.#openedAt });
      this.#releaseHeld();
      return;
    }
    this.#gapDispatch({
      type: 'opened',
      // Server time, like the event timestamps the gap is measured against: a browser clock
      // running ahead must not move the start of a gap past events the server sent in it.
      at: this.#openedAt,
      storedLastSeenAt: stored?.at ?? null,
      replay: Boolean(this.#config!.eventsSinceUrl),
    });
    // Without a replay in flight, live events flow now.
    if (this.#gap.phase !== 'settling' || this.#gap.replay !== 'pending') this.#releaseHeld();
  }

  /** A stored last-seen past the server's clock (written by an older version, or a clock gone wrong) is clamped. */
  #clampStored(stored: LastSeen | null): LastSeen | null {
    if (!stored || stored.at <= this.#serverNow() + futureSlackMs) return stored;
    this.#coverageDoubt = true;
    this.#log!.clampLastSeen(this.#openedAt);
    return this.#log!.lastSeen;
  }

  #gapDispatch(event: GapEvent): void {
    const now = this.#deps.clock.now();
    const { state, effects } = gapTransition(this.#gap, event, now);
    const wasFresh = this.#gap.phase === 'fresh';
    this.#gap = state;
    if (state.phase === 'fresh') this.#coveredSince = undefined;
    // A first connection with nothing stored before it: the record starts here, whole.
    else if (wasFresh && state.phase === 'live') this.#coveredSince = state.openedAt;
    for (const effect of effects) {
      switch (effect.type) {
        case 'start-settle-timer':
          this.#timers.set('settle', this.#config!.resyncSettleMs, () => this.#gapDispatch({ type: 'settled' }));
          break;
        case 'cancel-settle-timer':
          this.#timers.clear('settle');
          break;
        case 'start-replay':
          void this.#replay(effect.since, this.#generation);
          break;
        case 'emit': {
          // Events delivered before the signal must reach tabs before it.
          this.#fanout.flush();
          this.#counters.resyncs++;
          const signal = effect.signal;
          this.#coverageDoubt = false;
          // A gap the replay did not cover breaks the record: it is whole only from its end on.
          this.#coveredSince = signal.complete ? (this.#coveredSince ?? signal.since) : signal.until;
          this.tabs.broadcast({
            k: 'rs',
            s: { ...signal, since: new Date(signal.since).toISOString(), until: new Date(signal.until).toISOString() },
          });
        }
      }
    }
  }

  /**
   * A tab that lost its broker and re-attached here may have missed what this
   * broker relayed before it came: send it what the log holds since its last
   * event, and a resync of its own. A broker still without a session (just
   * started) skips this: its own gap handling will reach this tab anyway.
   */
  async #catchUp(tab: Tab, since: string): Promise<void> {
    const log = this.#log;
    const at = Date.parse(since);
    if (log?.namespace === undefined || Number.isNaN(at)) return;
    const epoch = this.#sessionEpoch;
    // From just before: events sharing the last one's millisecond count too; the tab drops the one it has.
    const missed = await log.recent({ since: new Date(at - 1).toISOString(), limit: this.#config!.logMaxEvents });
    if (!tab.alive || epoch !== this.#sessionEpoch) return;
    this.#fanout.sendReplayed(
      missed.map((event) => ({ text: JSON.stringify(event.envelope), type: event.envelope.type, tenant: tenantOf(event.envelope) })),
      tab,
    );
    // In a gap, the broker's own resync will tell this tab once it is over.
    if (this.#gap.phase !== 'live') return;
    const covered = this.#coveredSince !== undefined && this.#coveredSince <= at;
    tab.post({
      k: 'rs',
      s: { since, until: new Date(this.#serverNow()).toISOString(), reason: 'reconnect', replayed: missed.length, complete: covered },
    });
  }

  /** Replay a gap through the events-since endpoint; the code is loaded on demand (replay.ts). */
  async #replay(since: number, generation: number): Promise<void> {
    const config = this.#config!;
    const { replayMissed } = await import('./replay.ts');
    await replayMissed(
      {
        config,
        baseUrl: this.#deps.baseUrl,
        fetch: this.#deps.fetch,
        clock: this.#deps.clock,
        tenantId: () => this.#session?.tenantId ?? config.tenantId,
        ...(typeof this.#replayFloor === 'number' ? { notBefore: this.#replayFloor } : {}),
        current: () => generation === this.#generation,
        token: () => this.#tokens.getToken(),
        refresh: () => this.#tokens.refresh(),
        known: async (from) => new Set(await this.#log!.keysSince(from)),
        admit: (envelope, at) => {
          const event = this.#admit(envelope, at, undefined);
          return event && this.#dedupe.add(event.key) ? event : undefined;
        },
        deliver: (missed) => {
          this.#fanout.sendReplayed(missed.map((event) => ({ text: event.text, type: event.envelope.type, tenant: event.tenant })));
          for (const event of missed) this.#record(event);
          this.#counters.replayed += missed.length;
          this.#counters.eventsRelayed += missed.length;
        },
        release: () => this.#releaseHeld(),
        finished: (ok, count, complete) => this.#gapDispatch({ type: 'replay-finished', ok, count, complete: complete && !this.#coverageDoubt }),
        report: (error) => this.#report(error),
      },
      since,
    );
  }

  // ---- calls from tabs ---------------------------------------------------

  #send(tab: Tab, message: unknown, options: { volatile?: boolean }): Promise<boolean> | boolean {
    const config = this.#config!;
    if (typeof message !== 'object' || message === null || Array.isArray(message)) {
      throw errorData('INVALID_ARGUMENT', 'send() takes a JSON object');
    }
    if ((message as { action?: unknown }).action === 'auth') {
      throw errorData('INVALID_ARGUMENT', 'the broker authenticates by itself; do not send auth frames');
    }
    let text: string;
    try {
      text = JSON.stringify(message);
    } catch {
      throw errorData('INVALID_ARGUMENT', 'send() message is not JSON-serialisable');
    }
    if (text.length > config.maxFrameBytes) {
      throw errorData('INVALID_ARGUMENT', `message of ${text.length} bytes exceeds maxFrameBytes ${config.maxFrameBytes}`);
    }
    if (this.#connection.status === 'open' && this.#transport) {
      this.#write(text);
      this.#counters.sent++;
      return true;
    }
    if (options.volatile) {
      this.#counters.dropped.volatile++;
      return false;
    }
    // No session to send under until the app logs in again and calls reconnect(): queued, it
    // would go out under whoever authenticates next.
    const ended = this.#connection.status;
    if (ended === 'closed' || ended === 'unauthorized' || ended === 'forbidden') {
      throw errorData('CLOSED', `not sent: the session ended (${ended}); call reconnect() after a new login`);
    }
    return new Promise((resolve, reject) => {
      const item = { text, resolve, reject, session: sessionIdentity(this.#session), tabId: tab.id };
      if (this.#outbox.push(item) === 'full') {
        reject(errorData('BUFFER_FULL', `upstream buffer full (${config.maxBufferedMessages} messages) while ${this.#connection.status}`));
      }
    });
  }

  /** The tab checked the query (client.ts); the store copes with anything that got through. */
  async #recent(tab: Tab, query: RecentQuery): Promise<Envelope[]> {
    if (this.#log?.namespace === undefined) {
      // The log belongs to a tenant and user: wait until a handshake said whose it is.
      const ready = await new Promise<boolean>((resolve) => {
        const wake = () => {
          this.#deps.clock.clearTimeout(timer);
          resolve(true);
        };
        const timer = this.#deps.clock.setTimeout(() => {
          const waiting = this.#namespaceWaiters.indexOf(wake);
          if (waiting >= 0) this.#namespaceWaiters.splice(waiting, 1);
          resolve(false);
        }, recentWaitMs);
        this.#namespaceWaiters.push(wake);
      });
      if (!ready) throw errorData('NOT_READY', 'no session yet: recent() needs a connection that authenticated');
    }
    const events = await this.#log!.recent(query);
    // The same tenant rule as live events: a tab that named its tenant reads only that tenant's.
    const own = (envelope: Envelope) => {
      const tenant = tenantOf(envelope);
      return tab.tenantId === undefined || tenant === undefined || tenant === tab.tenantId;
    };
    return events.map((event) => event.envelope).filter(own);
  }

  async #logout(): Promise<void> {
    // Before the stop: the stop's state message must be the last thing a tab gets of this session.
    this.#endSession();
    this.#fanout.discard();
    this.#rejectOutbox('CLOSED', 'logged out before the message could be sent');
    this.#dispatch({ type: 'stop', reason: 'logout' });
    this.#gapDispatch({ type: 'reset' });
    this.#session = undefined;
    this.#serverClock = undefined;
    const logWiped = await this.#log!.wipe();
    const endpointWiped = await this.#deps.stores.wipePrefix(this.#endpointPrefix()).then(() => true, () => false);
    if (!logWiped || !endpointWiped) this.#report(errorData('LOG_DEGRADED', 'logout could not wipe the stored event log; it is wiped when the log is next opened'));
  }

  async stats(): Promise<BrokerStats> {
    const log = this.#log;
    const status = log?.status() ?? { status: 'ok' as const, written: 0, refused: 0 };
    const lastSeen = log?.lastSeen;
    return {
      brokerId: this.#deps.brokerId,
      buildId: this.#deps.buildId,
      state: this.#connection.status,
      reason: this.#connection.reason,
      tabs: this.tabs.size,
      ...this.#counters,
      dropped: { ...this.#counters.dropped },
      deliveries: this.#fanout.counters.deliveries,
      batches: this.#fanout.counters.batches,
      deliveryFailures: this.#fanout.counters.failures,
      lastSeen: lastSeen ? new Date(lastSeen.at).toISOString() : null,
      outbox: this.#outbox.size,
      log: { ...status, size: log ? await log.count() : 0 },
      session: this.#session ?? null,
      uptimeMs: this.#deps.clock.monotonic() - this.#startedMonotonic,
    };
  }

  async debug(): Promise<Record<string, unknown>> {
    return {
      stats: await this.stats(),
      // The config holds no secrets: tokens never reach the worker's options.
      config: this.#config ?? null,
      gap: this.#gap,
      tabs: [...this.tabs.all()].map((tab) => ({ id: tab.id, visible: tab.visible, patterns: tab.patterns.patterns() })),
      transitions: this.#history.slice(),
    };
  }

  /** Stop for good: socket closed, timers cleared, pending log writes flushed, tabs let go. */
  async shutdown(): Promise<void> {
    if (this.#disposed) return;
    this.#dispatch({ type: 'stop', reason: 'no-tabs' });
    this.#disposed = true;
    this.#closeTransport('shutdown');
    this.#radio?.close();
    this.#machineTimers.clearAll();
    this.#timers.clearAll();
    this.#rejectOutbox('CLOSED', 'the broker shut down before the message could be sent');
    for (const tab of [...this.tabs.all()]) this.tabs.remove(tab.id);
    await this.#log?.flush();
  }

  // ---- errors to tabs ----------------------------------------------------

  /** Tell every tab, at most 5 times per second per code; stats count every occurrence. */
  #report(error: TabwireErrorData): void {
    const now = this.#deps.clock.monotonic();
    const window = this.#reportedAt.get(error.code);
    if (!window || now - window.start >= 1000) this.#reportedAt.set(error.code, { start: now, count: 1 });
    else if (++window.count > 5) return;
    this.tabs.broadcast({ k: 'er', e: error });
  }
}
