/**
 * The transition table docs/states.md documents: from-status, event, to-status, reason.
 * test/unit/broker/core/connection.test.ts runs each row through `transition`
 * (src/broker/core/connection.ts) and checks docs/states.md's table is this one.
 */
import type { ConnectionStatus, TransitionReason } from '../../src/link/states.ts';

export const transitionTable: ReadonlyArray<readonly [ConnectionStatus, string, ConnectionStatus, TransitionReason]> = [
  ['idle', 'start (online)', 'connecting', 'tab-attached'],
  ['idle', 'start (offline)', 'offline', 'went-offline'],
  ['connecting', 'transport-open', 'authenticating', 'socket-opened'],
  ['authenticating', 'token ready', 'authenticating', 'socket-opened'],
  ['connecting', 'transport-closed', 'backoff', 'socket-closed'],
  ['connecting', 'handshake timer', 'backoff', 'handshake-timeout'],
  ['authenticating', 'auth.success', 'open', 'auth-accepted'],
  ['authenticating', 'UNAUTHORIZED (current token)', 'authenticating', 'token-refresh'],
  ['authenticating', 'token refreshed', 'connecting', 'token-refreshed'],
  ['authenticating', 'UNAUTHORIZED (refreshed token)', 'unauthorized', 'token-rejected'],
  ['authenticating', 'refresh failed', 'unauthorized', 'refresh-failed'],
  ['authenticating', 'refreshToken not answered in time', 'backoff', 'token-unavailable'],
  ['authenticating', 'every getToken rejected', 'unauthorized', 'token-unavailable'],
  ['authenticating', 'no tab answered getToken', 'backoff', 'token-unavailable'],
  ['authenticating', 'FORBIDDEN', 'forbidden', 'forbidden'],
  ['authenticating', 'RATE_LIMIT_EXCEEDED', 'backoff', 'rate-limited'],
  ['authenticating', 'other auth error', 'backoff', 'server-error'],
  ['authenticating', 'handshake timer', 'backoff', 'handshake-timeout'],
  ['open', 'transport-closed', 'backoff', 'socket-closed'],
  ['open', 'UNAUTHORIZED', 'authenticating', 'token-refresh'],
  ['open', 'UNAUTHORIZED (refreshed token, within 1 s)', 'unauthorized', 'token-rejected'],
  ['open', 'FORBIDDEN', 'forbidden', 'forbidden'],
  ['open', 'RATE_LIMIT_EXCEEDED', 'backoff', 'rate-limited'],
  ['open', 'woke up (timers late)', 'connecting', 'woke-up'],
  ['backoff', 'retry timer', 'connecting', 'retry'],
  ['backoff', 'online', 'connecting', 'back-online'],
  ['backoff', 'reconnect()', 'connecting', 'reconnect-requested'],
  ['open', 'offline', 'offline', 'went-offline'],
  ['offline', 'online', 'connecting', 'back-online'],
  ['unauthorized', 'reconnect()', 'connecting', 'reconnect-requested'],
  ['forbidden', 'reconnect()', 'connecting', 'reconnect-requested'],
  ['open', 'last tab gone', 'idle', 'no-tabs'],
  ['open', 'logout()', 'closed', 'logout'],
  ['closed', 'start (online)', 'connecting', 'tab-attached'],
  ['connecting', 'transport-closed (maxAttempts-th failure in a row)', 'closed', 'retries-exhausted'],
  ['closed', 'reconnect()', 'connecting', 'reconnect-requested'],
];
