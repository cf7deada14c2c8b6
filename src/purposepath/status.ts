/**
 * The guide's connection vocabulary: five states where tabwire has nine. The
 * reason tells a first attempt from a retry: after a loss, tabwire connects again
 * by itself, which is what the guide calls reconnecting.
 */
import type { ConnectionStatus as TabwireStatus, TransitionReason } from '../link/states.ts';

/** The guide's `ConnectionStatus`. */
export type ConnectionStatus = 'disconnected' | 'connecting' | 'connected' | 'reconnecting' | 'error';

/** The reasons a connection attempt is a first one; any other is a retry after a loss. */
const firstAttempt: ReadonlySet<TransitionReason> = new Set<TransitionReason>(['initial', 'tab-attached', 'reconnect-requested', 'socket-opened']);

/** tabwire's state (and why it was entered) in the guide's words. */
export function guideStatus(state: TabwireStatus, reason: TransitionReason): ConnectionStatus {
  switch (state) {
    case 'open':
      return 'connected';
    case 'connecting':
    case 'authenticating':
      return firstAttempt.has(reason) ? 'connecting' : 'reconnecting';
    // Both come back by themselves: after the backoff delay, or when the browser is online again.
    case 'backoff':
    case 'offline':
      return 'reconnecting';
    case 'unauthorized':
    case 'forbidden':
      return 'error';
    case 'closed':
      return reason === 'retries-exhausted' ? 'error' : 'disconnected';
    default:
      return 'disconnected';
  }
}
