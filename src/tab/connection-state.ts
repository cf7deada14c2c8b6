/**
 * The connection state as this tab shows it (rule 2: one state with a reason on every
 * transition): what its broker last told, the `connected` promise that follows it, and
 * whether this tab closed, after which nothing changes it any more.
 */
import { type ConnectionStatus, type TransitionReason, isLoggedOut } from '../link/states.ts';
import { TabwireError, type TabwireErrorCode } from '../link/errors.ts';

export type StateListener = (next: ConnectionStatus, prev: ConnectionStatus, reason: TransitionReason) => void;

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

export interface ConnectionState {
  readonly status: ConnectionStatus;
  readonly reason: TransitionReason;
  /** This tab called `close()`: its state is final, whatever a link still attaching or a late message says. */
  readonly closed: boolean;
  /** Resolves when this tab calls `close()`. */
  readonly whenClosed: Promise<void>;
  /** Resolves at the first `open`; rejects at the first state that will not open by itself (see `Broker.connected`). */
  readonly connected: Promise<void>;
  /** The broker refused this tab's options (INVALID_ARGUMENT): it will never attach, and says why to every call. */
  readonly refused: TabwireError | undefined;
  /**
   * The session this tab knew ended with a logout, and none opened since nor did this tab ask for
   * one (`sessionWanted`): what it tells a broker it re-attaches to, whatever state came in between.
   */
  readonly loggedOut: boolean;
  /** This tab's app asked to connect again (`reconnect()`): a new session is its own to start. */
  sessionWanted(): void;
  /** The app's `onState` listeners. */
  readonly listeners: Set<StateListener>;
  /** Moves to `next` for `why` and tells the listeners; a repeat, or any change once closed, is ignored. */
  set(next: ConnectionStatus, why: TransitionReason): void;
  /** The broker refused the options: `connected` rejects with `error`, as every call will. */
  refuse(error: TabwireError): void;
  /** `close()`: the last transition (`closed`, `closed-by-tab`), then no more. */
  close(): void;
}

/**
 * `report`: a listener threw. `onLogout`: runs when the state becomes `closed` for `logout`,
 * before anyone hears of it, so nothing of the user who left stays in this tab.
 */
export function connectionState(report: (error: unknown) => void, onLogout: () => void): ConnectionState {
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

  let markClosed!: () => void;
  const whenClosed = new Promise<void>((resolve) => (markClosed = resolve));
  const state: ConnectionState & { status: ConnectionStatus; reason: TransitionReason; closed: boolean; refused?: TabwireError; loggedOut: boolean } = {
    status: 'idle',
    reason: 'initial',
    closed: false,
    refused: undefined,
    loggedOut: false,
    connected,
    whenClosed,
    listeners: new Set(),
    set(next, why) {
      // Once closed, a link still attaching or a late state message must not revive this broker.
      if ((next === state.status && why === state.reason) || state.closed) return;
      // Nothing of the user who left stays in this tab either.
      if (isLoggedOut(next, why)) {
        state.loggedOut = true;
        onLogout();
      }
      if (next === 'open') state.loggedOut = false;
      const prev = state.status;
      state.status = next;
      state.reason = why;
      followConnected(next, why);
      for (const listener of state.listeners) {
        try {
          listener(next, prev, why);
        } catch (error) {
          report(error);
        }
      }
    },
    sessionWanted() {
      state.loggedOut = false;
    },
    refuse(error) {
      state.refused = error;
      settleConnected?.(error);
      settleConnected = undefined;
    },
    close() {
      state.set('closed', 'closed-by-tab');
      state.closed = true;
      markClosed();
    },
  };
  return state;
}
