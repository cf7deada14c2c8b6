/**
 * The `logger` option: the broker's lines, read in every tab. The broker tells each tab over its
 * stream of every state change, gap and error (rule 11), so a tab can show what a SharedWorker's
 * console would, where the browser has no devtools for one (Safari). Lines are written from what
 * the app's own listeners get: no token ever reaches them.
 */
import type { ConnectionStatus, TransitionReason } from '../link/states.ts';
import type { Broker } from './client.ts';

/** Where tabwire's lines go. Any of the four; `console` is one. */
export interface Logger {
  debug?(message: string, detail?: object): void;
  info?(message: string, detail?: object): void;
  warn?(message: string, detail?: object): void;
  error?(message: string, detail?: object): void;
}

/** The least a line must weigh to be written; `silent` writes none. */
export type LogLevel = keyof Logger | 'silent';

export const logLevels: readonly LogLevel[] = ['debug', 'info', 'warn', 'error', 'silent'];

/**
 * How much a line weighs. `error`: the connection stopped and will not come back by itself;
 * `warn`: it was lost, or the broker reported something it got past (`onError`: a dropped frame,
 * a degraded log, a failed replay) or a gap it could not fully replay; `info`: it opened, went
 * offline, idled or closed as asked; `debug`: the steps of a handshake.
 */
function stateLevel(next: ConnectionStatus, reason: TransitionReason): keyof Logger {
  if (next === 'unauthorized' || next === 'forbidden' || reason === 'retries-exhausted') return 'error';
  if (next === 'backoff' || reason === 'worker-lost' || reason === 'woke-up') return 'warn';
  return next === 'connecting' || next === 'authenticating' ? 'debug' : 'info';
}

/** Writes `broker`'s lines at `level` and above to `logger`. */
export function attachLogger(broker: Pick<Broker, 'ready' | 'sharing' | 'onState' | 'onResync' | 'onError' | 'onUpgrade'>, logger: Logger, level: LogLevel): void {
  const write = (at: keyof Logger, message: string, detail?: object) => {
    if (logLevels.indexOf(at) >= logLevels.indexOf(level)) logger[at]?.(`tabwire: ${message}`, detail);
  };
  void broker.ready.then(() => write('info', `attached to a broker (${broker.sharing})`));
  broker.onState((next, prev, reason) => write(stateLevel(next, reason), `connection ${next} (${reason})`, { next, prev, reason }));
  broker.onResync((signal) => write(signal.complete ? 'info' : 'warn', `missed events since ${signal.since} (${signal.reason}): ${signal.complete ? `${signal.replayed} replayed` : 'not all replayed, refetch'}`, signal));
  broker.onError((error) => write('warn', `${error.code}: ${error.message}`, error));
  broker.onUpgrade((notice) => write('info', `build ${notice.buildId} is live`, notice));
}
