/**
 * The connection's states, their reasons and the resync signal: what the broker
 * tells tabs about the connection, and what `onState`/`onResync` hand the app.
 */

export type ConnectionStatus =
  | 'idle'
  | 'connecting'
  | 'authenticating'
  | 'open'
  | 'backoff'
  | 'offline'
  | 'unauthorized'
  | 'forbidden'
  | 'closed';

/** Why a state was entered. Stable strings: apps may switch on them. */
export type TransitionReason =
  | 'initial'
  | 'tab-attached'
  | 'reconnect-requested'
  | 'socket-opened'
  | 'auth-accepted'
  | 'token-refresh'
  | 'token-refreshed'
  | 'token-unavailable'
  | 'token-rejected'
  | 'refresh-failed'
  | 'forbidden'
  | 'rate-limited'
  | 'server-error'
  | 'socket-closed'
  | 'handshake-timeout'
  | 'retry'
  | 'went-offline'
  | 'back-online'
  | 'no-tabs'
  | 'logout'
  /** `reconnect.maxAttempts` tries in a row failed: no more retries until a tab attaches or `reconnect()`. */
  | 'retries-exhausted'
  /** Timers fired far later than scheduled (the machine slept): the socket may be dead without a close. */
  | 'woke-up'
  /** Tab-side only: the worker died and this tab is attaching to a new one. */
  | 'worker-lost'
  /** Tab-side only: this tab called close(). */
  | 'closed-by-tab';

/**
 * `session-changed`: the server authenticated another user or tenant than before; nothing of
 * the previous session's state holds, so it is always `complete: false`. `slow-tab`: this tab
 * stopped reading its stream (frozen, hung) past the broker's bound, and what came meanwhile was
 * dropped for it alone; always `complete: false`.
 */
export type GapReason = 'reconnect' | 'offline' | 'restart' | 'session-changed' | 'slow-tab';

/** What tabs receive, once per gap. Timestamps are ISO 8601 strings. */
export interface ResyncSignal {
  /** Events after this instant may have been missed (the newest one seen before the gap). */
  since: string;
  /** When the gap closed (the connection was back and settled). */
  until: string;
  reason: GapReason;
  /** How many missed events the worker replayed through `eventsSinceUrl` (0 without it). */
  replayed: number;
  /**
   * True when the replay covered the whole gap, so nothing needs refetching.
   * False without an events-since endpoint, when it failed, or when its answer
   * was truncated — then the app should refetch through REST.
   */
  complete: boolean;
}

/** The state a logout leaves (`closed`, `logout`): the session ended, and nothing of it may reach a tab. */
export const isLoggedOut = (status: ConnectionStatus, reason: TransitionReason): boolean => status === 'closed' && reason === 'logout';
