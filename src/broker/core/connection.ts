/**
 * The connection state machine: one pure function from (state, event) to
 * (state, effects). No sockets, timers or clocks here — the worker's adapter
 * performs the effects and feeds back what happened as events (docs/architecture.md, rule 1).
 *
 * Every state carries the reason it was entered, so tabs can be told why
 * (`onState(next, prev, reason)`); the transition table of docs/states.md is checked
 * against this function, row by row, by test/unit/broker/core/connection.test.ts.
 */
import type { ConnectionStatus, TransitionReason } from '../../link/states.ts';
import { type BackoffPolicy, jitteredDelayMs, rateLimitDelayMs } from './backoff.ts';



/** Which token the current handshake uses: a refreshed one that fails again is final. */
export type Credential = 'current' | 'refreshed';


export type ConnectionState =
  | { status: 'idle'; reason: TransitionReason }
  | { status: 'connecting'; reason: TransitionReason; attempt: number; credential: Credential }
  | {
      status: 'authenticating';
      reason: TransitionReason;
      attempt: number;
      credential: Credential;
      /**
       * `token`: a tab is asked for a token (bounded per tab by tokenTimeoutMs, not by the handshake
       * timer, so one hung tab cannot time every handshake out); `handshake`: the auth frame is sent
       * and the server's answer awaited; `refresh`: a tab is refreshing the token.
       */
      step: 'token' | 'handshake' | 'refresh';
    }
  /** `credential` stays `refreshed` for `refusedAtOnceMs` after auth.success: a refreshed token refused that soon is final. */
  | { status: 'open'; reason: TransitionReason; attempt: number; credential: Credential }
  | { status: 'backoff'; reason: TransitionReason; attempt: number; delayMs: number }
  | { status: 'offline' | 'unauthorized' | 'forbidden' | 'closed'; reason: TransitionReason };

/**
 * The code of an error frame as the dialect read it: any string. The machine reacts to
 * `UNAUTHORIZED`, `FORBIDDEN` and `RATE_LIMIT_EXCEEDED` (docs/protocol.md "Errors"); any other
 * code retries a refused handshake later, and mid-connection is surfaced only. Not the catalogue's
 * `ServerErrorCode`, which types the payload apps receive.
 */
export type ErrorFrameCode = string;

export type ConnectionEvent =
  /** A tab attached; `online` is what the tabs last reported. */
  | { type: 'start'; online: boolean }
  /** An app asked to reconnect now (after a new login, or to skip a backoff wait). */
  | { type: 'reconnect'; online: boolean }
  | { type: 'stop'; reason: 'no-tabs' | 'logout' }
  | { type: 'transport-open' }
  | { type: 'transport-closed' }
  | { type: 'auth-accepted' }
  /** An error frame; `during` says whether it answered the handshake or came mid-connection. */
  | { type: 'server-error'; code: ErrorFrameCode; during: 'auth' | 'connection' }
  /** No token: every live tab's `getToken` rejected (`rejected`) or none answered in time (`timeout`). */
  | { type: 'token-unavailable'; cause: 'rejected' | 'timeout' }
  /** A tab gave a token: the auth frame goes out now and the handshake timer starts. */
  | { type: 'token-ready' }
  | { type: 'token-refreshed' }
  | { type: 'refresh-failed' }
  /** The refreshing tab did not answer within its time: the credentials may be fine, and it may still land. */
  | { type: 'refresh-unanswered' }
  /** Timers fired far later than scheduled: the socket may have died silently (sleep, network change). */
  | { type: 'wake' }
  | { type: 'timer'; timer: TimerName }
  | { type: 'network'; online: boolean };

export type TimerName = 'handshake' | 'retry' | 'healthy' | 'settled';

/**
 * A refreshed token accepted by the handshake and refused on the connection within this
 * many ms is treated as refused by the handshake: final, not refreshed again (docs/protocol.md:
 * stop the retry loop). Short enough that tokens living a few seconds still refresh.
 */
export const refusedAtOnceMs = 1000;

export type ConnectionEffect =
  | { type: 'open-transport' }
  | { type: 'close-transport'; reason: TransitionReason }
  /** Get a token from a live tab and send the auth frame. */
  | { type: 'authenticate' }
  /** Ask exactly one live tab to run `refreshToken`. */
  | { type: 'refresh-token' }
  | { type: 'set-timer'; timer: TimerName; ms: number }
  | { type: 'clear-timers' };

export interface ConnectionConfig {
  backoff: BackoffPolicy;
  /** Overrides the backoff policy: delay in ms before retry number `attempt` (1-based). */
  retryDelayMs?: ((attempt: number) => number) | undefined;
  /** Injected randomness for jitter. */
  random: () => number;
  /** Bound on each of the connect and the auth phases, in ms. */
  handshakeTimeoutMs: number;
  /** How long a connection must stay open before the retry count resets, in ms. */
  healthyAfterMs: number;
  /**
   * Stop retrying once this many tries in a row failed: state `closed`, reason `retries-exhausted`,
   * until a tab attaches or `reconnect()`. Undefined or Infinity: retry forever.
   */
  maxAttempts?: number | undefined;
}

export interface Transition {
  state: ConnectionState;
  effects: ConnectionEffect[];
}

export const initialConnectionState: ConnectionState = { status: 'idle', reason: 'initial' };

/** States in which a transport may exist and must be closed when leaving for good. */
function hasTransport(state: ConnectionState): boolean {
  return (
    state.status === 'connecting' ||
    state.status === 'open' ||
    (state.status === 'authenticating' && state.step !== 'refresh')
  );
}

/** Enter a state: clear the old state's timers, close its transport if asked, set the new state's timers. */
function enter(
  from: ConnectionState,
  to: ConnectionState,
  config: ConnectionConfig,
  extra: ConnectionEffect[] = [],
  closeTransport = false,
): Transition {
  const effects: ConnectionEffect[] = [{ type: 'clear-timers' }];
  if (closeTransport && hasTransport(from)) effects.push({ type: 'close-transport', reason: to.reason });
  effects.push(...extra);
  if (to.status === 'connecting' || (to.status === 'authenticating' && to.step === 'handshake')) {
    effects.push({ type: 'set-timer', timer: 'handshake', ms: config.handshakeTimeoutMs });
  } else if (to.status === 'open') {
    effects.push({ type: 'set-timer', timer: 'healthy', ms: config.healthyAfterMs });
    if (to.credential === 'refreshed') effects.push({ type: 'set-timer', timer: 'settled', ms: refusedAtOnceMs });
  } else if (to.status === 'backoff') {
    effects.push({ type: 'set-timer', timer: 'retry', ms: to.delayMs });
  }
  return { state: to, effects };
}

function connect(
  from: ConnectionState,
  reason: TransitionReason,
  attempt: number,
  credential: Credential,
  config: ConnectionConfig,
): Transition {
  return enter(from, { status: 'connecting', reason, attempt, credential }, config, [{ type: 'open-transport' }], true);
}

function retryLater(
  from: ConnectionState & { attempt: number },
  reason: TransitionReason,
  config: ConnectionConfig,
): Transition {
  const attempt = from.attempt + 1;
  // Only a try that never opened gives up: a drop from `open` still goes through backoff, where the
  // broker records the gap, and the try after it decides (the count resets only once healthy).
  if (from.status !== 'open' && attempt >= (config.maxAttempts ?? Infinity)) return halt(from, 'closed', 'retries-exhausted', config);
  const delayMs =
    reason === 'rate-limited'
      ? rateLimitDelayMs(attempt - 1, config.random, config.backoff)
      : config.retryDelayMs
        ? config.retryDelayMs(attempt)
        : jitteredDelayMs(attempt - 1, config.random, config.backoff);
  return enter(from, { status: 'backoff', reason, attempt, delayMs }, config, [], true);
}

function halt(
  from: ConnectionState,
  status: 'offline' | 'unauthorized' | 'forbidden' | 'closed' | 'idle',
  reason: TransitionReason,
  config: ConnectionConfig,
): Transition {
  return enter(from, { status, reason }, config, [], true);
}

const unchanged = (state: ConnectionState): Transition => ({ state, effects: [] });

/** What the machine does with an error frame while a transport is live. */
function onServerError(
  state: ConnectionState & { attempt: number },
  code: ErrorFrameCode,
  during: 'auth' | 'connection',
  config: ConnectionConfig,
): Transition {
  if (code === 'FORBIDDEN') return halt(state, 'forbidden', 'forbidden', config);
  if (code === 'RATE_LIMIT_EXCEEDED') return retryLater(state, 'rate-limited', config);
  if (code === 'UNAUTHORIZED') {
    // Refused again right after a refresh (by the handshake, or by the connection it opened at once):
    // refreshing again would loop against the server.
    if ('credential' in state && state.credential === 'refreshed') {
      return halt(state, 'unauthorized', 'token-rejected', config);
    }
    return enter(
      state,
      { status: 'authenticating', reason: 'token-refresh', attempt: state.attempt, credential: 'current', step: 'refresh' },
      config,
      [{ type: 'refresh-token' }],
      true,
    );
  }
  // Any other refusal of the handshake (INTERNAL_ERROR, unknown codes): retry later.
  // Mid-connection errors other than the above concern one request: surfaced, not fatal.
  if (during === 'auth') return retryLater(state, 'server-error', config);
  return unchanged(state);
}

/** The socket closing or the handshake timer firing before `auth.success`: both retry after a backoff. */
function handshakeLost(state: ConnectionState & { attempt: number }, event: ConnectionEvent, config: ConnectionConfig): Transition | undefined {
  if (event.type === 'transport-closed') return retryLater(state, 'socket-closed', config);
  if (event.type === 'timer' && event.timer === 'handshake') return retryLater(state, 'handshake-timeout', config);
  return undefined;
}

/** A state of one status, and what it does with an event there. */
type StateOf<S extends ConnectionStatus> = Extract<ConnectionState, { status: S }>;
type Handler<S extends ConnectionStatus> = (state: StateOf<S>, event: ConnectionEvent, config: ConnectionConfig) => Transition;

/** `idle` and `closed`: a tab attaching, or the app asking, starts a connection. */
function fromRest(state: StateOf<'idle' | 'closed'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  if (event.type !== 'start' && event.type !== 'reconnect') return unchanged(state);
  const reason = event.type === 'start' ? 'tab-attached' : 'reconnect-requested';
  return event.online ? connect(state, reason, 0, 'current', config) : halt(state, 'offline', 'went-offline', config);
}

/** `unauthorized` and `forbidden`: terminal until the app says it has new credentials; a new tab alone must not retry. */
function fromRefused(state: StateOf<'unauthorized' | 'forbidden'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  if (event.type !== 'reconnect') return unchanged(state);
  return event.online ? connect(state, 'reconnect-requested', 0, 'current', config) : halt(state, 'offline', 'went-offline', config);
}

function fromOffline(state: StateOf<'offline'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  if (event.type === 'network' && event.online) return connect(state, 'back-online', 0, 'current', config);
  return unchanged(state);
}

function fromBackoff(state: StateOf<'backoff'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  if (event.type === 'timer' && event.timer === 'retry') return connect(state, 'retry', state.attempt, 'current', config);
  if (event.type === 'network' && event.online) return connect(state, 'back-online', state.attempt, 'current', config);
  if (event.type === 'reconnect') return connect(state, 'reconnect-requested', 0, 'current', config);
  return unchanged(state);
}

function fromConnecting(state: StateOf<'connecting'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  if (event.type !== 'transport-open') return handshakeLost(state, event, config) ?? unchanged(state);
  const next = { status: 'authenticating', reason: 'socket-opened', attempt: state.attempt, credential: state.credential, step: 'token' } as const;
  return enter(state, next, config, [{ type: 'authenticate' }]);
}

function fromAuthenticating(state: StateOf<'authenticating'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  if (state.step === 'refresh') {
    if (event.type === 'token-refreshed') return connect(state, 'token-refreshed', state.attempt, 'refreshed', config);
    if (event.type === 'refresh-failed') return halt(state, 'unauthorized', 'refresh-failed', config);
    // As a getToken nobody answered: try again later, when the slow refresh may have landed.
    if (event.type === 'refresh-unanswered') return retryLater(state, 'token-unavailable', config);
    return unchanged(state);
  }
  // Same status and reason: tabs see no change, only the handshake timer starts.
  if (state.step === 'token' && event.type === 'token-ready') return enter(state, { ...state, step: 'handshake' }, config);
  switch (event.type) {
    case 'auth-accepted':
      return enter(state, { status: 'open', reason: 'auth-accepted', attempt: state.attempt, credential: state.credential }, config);
    case 'server-error':
      return onServerError(state, event.code, event.during, config);
    case 'token-unavailable':
      return event.cause === 'rejected'
        ? halt(state, 'unauthorized', 'token-unavailable', config)
        : retryLater(state, 'token-unavailable', config);
    default:
      return handshakeLost(state, event, config) ?? unchanged(state);
  }
}

function fromOpen(state: StateOf<'open'>, event: ConnectionEvent, config: ConnectionConfig): Transition {
  switch (event.type) {
    case 'transport-closed':
      return retryLater(state, 'socket-closed', config);
    case 'server-error':
      return onServerError(state, event.code, event.during, config);
    case 'wake':
      // A socket that slept may be dead without a close: one new handshake, and the gap's resync.
      return connect(state, 'woke-up', 0, 'current', config);
    case 'timer':
      // Healthy for long enough: the next failure starts the backoff from the bottom again.
      if (event.timer === 'healthy') return { state: { ...state, attempt: 0 }, effects: [] };
      // Past the first second, a refusal is an expiry like any other, worth one refresh.
      if (event.timer === 'settled') return { state: { ...state, credential: 'current' }, effects: [] };
      return unchanged(state);
    default:
      return unchanged(state);
  }
}

/** Each status's own events: one function a status, so the table of what can happen reads state by state. */
const byStatus: { [S in ConnectionStatus]: Handler<S> } = {
  idle: fromRest,
  closed: fromRest,
  unauthorized: fromRefused,
  forbidden: fromRefused,
  offline: fromOffline,
  backoff: fromBackoff,
  connecting: fromConnecting,
  authenticating: fromAuthenticating,
  open: fromOpen,
};

/** Events that mean the same in every state: a stop, and the network going away. */
function everywhere(state: ConnectionState, event: ConnectionEvent, config: ConnectionConfig): Transition | undefined {
  if (event.type === 'stop') {
    if (event.reason === 'logout') return halt(state, 'closed', 'logout', config);
    if (state.status === 'idle' || state.status === 'closed') return unchanged(state);
    return halt(state, 'idle', 'no-tabs', config);
  }
  if (event.type !== 'network' || event.online) return undefined;
  const live = state.status === 'connecting' || state.status === 'authenticating' || state.status === 'open' || state.status === 'backoff';
  return live ? halt(state, 'offline', 'went-offline', config) : unchanged(state);
}

export function transition(
  state: ConnectionState,
  event: ConnectionEvent,
  config: ConnectionConfig,
): Transition {
  const handle = byStatus[state.status] as Handler<ConnectionStatus>;
  return everywhere(state, event, config) ?? handle(state, event, config);
}
