/**
 * Drives the pure connection machine (`core/connection.ts`, docs/architecture.md
 * rules 1 and 2): feeds it one event at a time, in order, and performs its
 * effects — opening and closing the transport, the handshake with a token asked
 * from a tab, refreshes, the machine's timers — then keeps the open socket alive
 * and watches for a sleep. What a state change means for the other parts is the
 * owner's (`onStateChanged`); frames go to `onFrame`.
 */
import { errorData } from '../link/errors.ts';
import type { BrokerConfig } from '../link/messages.ts';
import type { BrokerCounters, Report } from './broker-stats.ts';
import { type ConnectionConfig, type ConnectionEffect, type ConnectionEvent, type ConnectionState, type TimerName, initialConnectionState, transition } from './core/connection.ts';
import { keepAliveStep } from './core/keepalive.ts';
import { jitteredDelayMs } from './core/backoff.ts';
import { withServerRetry } from './core/server-retry.ts';
import type { Transport, TransportFactory, TransportOptions } from './ports.ts';
import type { Clock } from '../link/clock.ts';
import type { RawFrame } from './protocol/channel-dialect.ts';
import type { Protocol } from './protocol/wire.ts';
import { NamedTimers } from './timers.ts';
import type { TokenSource } from './token-source.ts';
import { WakeWatch } from './wake-watch.ts';

export interface DriverParts {
  config: BrokerConfig;
  clock: Clock;
  random: () => number;
  transport: TransportFactory;
  protocol: Protocol;
  tokens: TokenSource;
  counters: BrokerCounters;
  report: Report;
  /** The current session's epoch: a refresh finished for an older one decides nothing. */
  sessionEpoch: () => number;
  onFrame: (data: unknown) => void;
  /**
   * The socket closed by the server's or network's doing, before the machine hears of it: a channel
   * dialect reads what its close code means (a refusal moves the machine itself). @default none
   */
  onClosed?: (code: number, reason: string) => void;
  /** Cookie auth with no acceptance frame: the socket opened, so the session is accepted. */
  onOpenAccepted: () => void;
  onStateChanged: (prev: ConnectionState, next: ConnectionState) => void;
  /** The server's own reconnection time (SSE `retry:`), in ms, honoured within the backoff's bounds. @default none */
  serverRetryMs?: () => number | undefined;
  /**
   * A channel dialect (dialect-link.ts) drives the socket: told of each socket made, with a writer
   * that drops frames once that socket is replaced; starts the handshake where an auth frame would
   * go (`token` undefined with cookie auth); frames its keep-alive ping. @default none
   */
  dialect?: {
    readonly binary: boolean;
    readonly subprotocols?: readonly string[] | undefined;
    socketCreated(write: (frame: RawFrame) => void): void;
    open(token: string | undefined): void;
    ping(): RawFrame | undefined;
    /** How long the server may stay silent before the socket counts as dead, in ms; undefined: no limit. */
    silenceLimitMs(): number | undefined;
  };
}

/** The machine's settings from the broker's config. */
function machineConfig(config: BrokerConfig, random: () => number, serverRetryMs?: () => number | undefined): ConnectionConfig {
  const delays = config.retryDelaysMs;
  const backoff = { minDelayMs: config.minDelayMs, maxDelayMs: config.maxDelayMs };
  const fixed = delays && delays.length > 0 ? (attempt: number) => delays[Math.min(attempt, delays.length) - 1] ?? config.minDelayMs : undefined;
  return {
    backoff,
    retryDelayMs: serverRetryMs ? withServerRetry(fixed ?? ((attempt) => jitteredDelayMs(attempt - 1, random, backoff)), serverRetryMs, backoff) : fixed,
    random,
    handshakeTimeoutMs: config.handshakeTimeoutMs,
    healthyAfterMs: config.healthyAfterMs,
    maxAttempts: config.maxAttempts,
  };
}

/** What a channel dialect asks of the socket it is driven on. */
function transportOptionsOf(dialect: NonNullable<DriverParts['dialect']>): TransportOptions {
  return { ...(dialect.binary ? { binary: true } : {}), ...(dialect.subprotocols?.length ? { subprotocols: dialect.subprotocols } : {}) };
}

export class ConnectionDriver {
  #state: ConnectionState = initialConnectionState;
  readonly #machine: ConnectionConfig;
  #transport: Transport | undefined;
  /** Bumped whenever the transport changes: callbacks of an older one are ignored. */
  #generation = 0;
  #online = true;
  #lastSentAt = 0;
  #everOpened = false;
  readonly #pending: ConnectionEvent[] = [];
  #dispatching = false;
  #disposed = false;
  readonly #machineTimers: NamedTimers<TimerName>;
  readonly #keepAlive: NamedTimers<'keepalive' | 'pong' | 'silence'>;
  readonly #wake: WakeWatch;

  readonly #parts: DriverParts;

  constructor(parts: DriverParts) {
    this.#parts = parts;
    this.#machine = machineConfig(parts.config, parts.random, parts.serverRetryMs);
    this.#machineTimers = new NamedTimers(parts.clock);
    this.#keepAlive = new NamedTimers(parts.clock);
    this.#wake = new WakeWatch(parts.clock, () => this.#state.status === 'open', () => this.dispatch({ type: 'wake' }));
  }

  get state(): ConnectionState {
    return this.#state;
  }

  get generation(): number {
    return this.#generation;
  }

  get online(): boolean {
    return this.#online;
  }

  /** Open, with a socket to write on. */
  get writable(): boolean {
    return this.#state.status === 'open' && this.#transport !== undefined;
  }

  setOnline(online: boolean): void {
    this.#online = online;
    this.dispatch({ type: 'network', online });
  }

  dispatch(event: ConnectionEvent): void {
    if (this.#disposed) return;
    this.#pending.push(event);
    // Effects may feed events back synchronously; run them after this one, in order.
    if (this.#dispatching) return;
    this.#dispatching = true;
    try {
      for (let next = this.#pending.shift(); next; next = this.#pending.shift()) {
        const prev = this.#state;
        const { state, effects } = transition(prev, next, this.#machine);
        this.#state = state;
        for (const effect of effects) this.#perform(effect);
        if (state.status !== prev.status || state.reason !== prev.reason) this.#parts.onStateChanged(prev, state);
      }
    } finally {
      this.#dispatching = false;
    }
  }

  write(frame: RawFrame): void {
    this.#transport?.send(frame);
    this.#lastSentAt = this.#parts.clock.monotonic();
  }

  /** The connection opened: keep it alive and watch for a sleep. */
  opened(): void {
    this.#everOpened = true;
    this.#scheduleKeepAlive();
    this.#wake.start();
  }

  lost(): void {
    this.#keepAlive.clear('keepalive');
    this.#keepAlive.clear('pong');
    this.#keepAlive.clear('silence');
    this.#wake.stop();
  }

  /** Look for a sleep now, not at the next tick. */
  checkWake(): void {
    this.#wake.check();
  }

  /** No more events: the machine stays where it is. */
  dispose(): void {
    this.#disposed = true;
  }

  /** Stop for good: the machine stopped, the socket closed, every timer cleared. */
  shutdown(): void {
    this.dispatch({ type: 'stop', reason: 'no-tabs' });
    this.dispose();
    this.#closeTransport('shutdown');
    this.#machineTimers.clearAll();
    this.lost();
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
        return this.#machineTimers.set(effect.timer, effect.ms, () => this.dispatch({ type: 'timer', timer: effect.timer }));
      case 'clear-timers':
        return this.#machineTimers.clearAll();
    }
  }

  #openTransport(): void {
    const { counters } = this.#parts;
    const generation = ++this.#generation;
    counters.socketsOpened++;
    if (this.#everOpened) counters.reconnects++;
    const current = () => generation === this.#generation;
    const dialect = this.#parts.dialect;
    this.#transport = this.#parts.transport(this.#parts.config.url, {
      onOpen: () => current() && this.dispatch({ type: 'transport-open' }),
      onMessage: (data) => {
        if (!current()) return;
        this.#parts.onFrame(data);
        this.#watchSilence(generation);
      },
      onClose: (code, reason) => {
        if (!current()) return;
        this.#transport = undefined;
        this.#parts.onClosed?.(code, reason);
        // A refusal read from the close already moved the machine (and replaced this socket).
        if (current()) this.dispatch({ type: 'transport-closed' });
      },
      // A transport carrying the credential on its request (SSE) answers the handshake itself.
      onAccepted: () => current() && this.#acceptedByTransport(),
      onRefused: (code) => {
        if (!current()) return;
        this.#transport = undefined;
        this.#parts.report(errorData('SERVER_ERROR', 'the server refused the stream request', { serverCode: code }));
        this.dispatch({ type: 'server-error', code, during: 'auth' });
      },
    }, dialect ? transportOptionsOf(dialect) : undefined);
    dialect?.socketCreated((frame) => current() && this.write(frame));
  }

  /** The request that carried the credential was answered with a stream: the session, unless the dialect sends its acceptance. */
  #acceptedByTransport(): void {
    if (this.#parts.protocol.acceptsOnOpen && this.#state.status === 'authenticating') this.#parts.onOpenAccepted();
  }

  #closeTransport(reason: string): void {
    const transport = this.#transport;
    this.#transport = undefined;
    this.#generation++;
    transport?.close(1000, reason);
  }

  async #authenticate(generation: number): Promise<void> {
    const carrier = this.#transport?.authenticate ? this.#transport : undefined;
    if (this.#parts.protocol.auth === 'cookie') return carrier ? this.#startCarrier(carrier, undefined) : this.#authenticateByCookie();
    const token = await this.#parts.tokens.getToken();
    if (generation !== this.#generation || this.#state.status !== 'authenticating') return;
    if (!token.ok) {
      this.#parts.report(errorData('TOKEN_UNAVAILABLE', token.cause === 'rejected' ? 'every tab refused to give a token' : 'no tab gave a token in time'));
      this.dispatch({ type: 'token-unavailable', cause: token.cause });
      return;
    }
    this.#parts.counters.handshakes++;
    // The handshake timer starts now: the wait for the token was bounded per tab.
    this.dispatch({ type: 'token-ready' });
    if (generation !== this.#generation) return;
    if (carrier) this.#startCarrier(carrier, token.token);
    else if (this.#parts.dialect) this.#parts.dialect.open(token.token);
    else this.write(this.#parts.protocol.authFrame(token.token));
  }

  /** A transport carrying the credential on its own request: the request starts now, bounded by the handshake timer. */
  #startCarrier(transport: Transport, token: string | undefined): void {
    if (token === undefined) {
      this.#parts.counters.handshakes++;
      this.dispatch({ type: 'token-ready' });
    }
    if (transport === this.#transport && this.#state.status === 'authenticating') transport.authenticate!(token);
  }

  /** The upgrade request's cookies authenticated: no token to ask, no frame to send. */
  #authenticateByCookie(): void {
    this.#parts.counters.handshakes++;
    this.dispatch({ type: 'token-ready' });
    if (this.#state.status !== 'authenticating') return;
    if (this.#parts.dialect) this.#parts.dialect.open(undefined);
    else if (this.#parts.protocol.acceptsOnOpen) this.#parts.onOpenAccepted();
  }

  /** The server answered a ping: the socket is alive. */
  ponged(): void {
    this.#keepAlive.clear('pong');
  }

  async #refreshToken(): Promise<void> {
    const epoch = this.#parts.sessionEpoch();
    const outcome = await this.#parts.tokens.refreshOutcome();
    // A refresh of a session that ended meanwhile decides nothing for the next one.
    if (epoch !== this.#parts.sessionEpoch()) return;
    const events = { refreshed: 'token-refreshed', refused: 'refresh-failed', unanswered: 'refresh-unanswered' } as const;
    this.dispatch({ type: events[outcome] });
  }

  /** Where the dialect has the server answer pings: no answer in time means a dead socket, replaced. */
  #awaitPong(): void {
    const timeoutMs = this.#parts.protocol.pongTimeoutMs;
    if (timeoutMs === undefined || this.#keepAlive.has('pong')) return;
    const generation = this.#generation;
    this.#keepAlive.set('pong', timeoutMs, () => {
      if (generation !== this.#generation || this.#state.status !== 'open') return;
      this.#closeTransport('no pong');
      this.dispatch({ type: 'transport-closed' });
    });
  }

  /**
   * Where the server pings and the client only answers, silence is how a dead socket shows: a
   * frame restarts the wait, and an open socket silent past the dialect's limit is replaced.
   */
  #watchSilence(generation: number): void {
    const limitMs = this.#parts.dialect?.silenceLimitMs();
    if (limitMs === undefined || generation !== this.#generation) return;
    this.#keepAlive.set('silence', limitMs, () => {
      if (generation !== this.#generation || this.#state.status !== 'open') return;
      this.#closeTransport('silent');
      this.dispatch({ type: 'transport-closed' });
    });
  }

  #scheduleKeepAlive(): void {
    const { clock, config, protocol, counters } = this.#parts;
    const { nextCheckInMs } = keepAliveStep(clock.monotonic(), this.#lastSentAt, config.keepAliveMs);
    this.#keepAlive.set('keepalive', nextCheckInMs, () => {
      if (this.#state.status !== 'open') return;
      const frame = this.#parts.dialect ? this.#parts.dialect.ping() : protocol.pingFrame();
      if (frame !== undefined && keepAliveStep(clock.monotonic(), this.#lastSentAt, config.keepAliveMs).ping) {
        this.write(frame);
        counters.pings++;
        this.#awaitPong();
      }
      this.#scheduleKeepAlive();
    });
  }
}
