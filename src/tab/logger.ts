/**
 * The `logger` option: the broker's lines, read in every tab. The broker tells each tab over its
 * stream of every state change, gap and error (rule 11), so a tab can show what a SharedWorker's
 * console would, where the browser has no devtools for one (Safari). Lines are written from what
 * the app's own listeners get: no token ever reaches them.
 */
import type { ConnectionStatus, TransitionReason } from '../link/states.ts';
import type { TabwireErrorCode } from '../link/errors.ts';
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

/** Frames and stores the broker dropped or fell back from: it carries on, so a warning. */
const droppedCodes = new Set<TabwireErrorCode>(['MALFORMED_FRAME', 'OVERSIZED_FRAME', 'TOO_DEEP', 'INVALID_PAYLOAD', 'TENANT_MISMATCH', 'FUTURE_TIMESTAMP', 'LOG_DEGRADED', 'WORKER_UNAVAILABLE']);

/** How much a state change weighs: stopped for good is an error, a lost connection a warning. */
function stateLevel(next: ConnectionStatus, reason: TransitionReason): keyof Logger {
  if (next === 'unauthorized' || next === 'forbidden' || reason === 'retries-exhausted') return 'error';
  if (next === 'backoff' || reason === 'worker-lost' || reason === 'woke-up') return 'warn';
  return next === 'connecting' || next === 'authenticating' ? 'debug' : 'info';
}

/** Writes `broker`'s lines at `level` and above to `logger`. */
export function attachLogger(broker: Pick<Broker, 'ready' | 'sharing' | 'onState' | 'onResync' | 'onError' | 'onUpgrade'>, logger: Logger, level: LogLevel): void {
  const least = logLevels.indexOf(level);
  const write = (at: keyof Logger, message: string, detail?: object) => {
    if (logLevels.indexOf(at) >= least) logger[at]?.(`tabwire: ${message}`, detail);
  };
  void broker.ready.then(() => write('info', `attached to a broker (${broker.sharing})`));
  broker.onState((next, prev, reason) => write(stateLevel(next, reason), `connection ${next} (${reason})`, { next, prev, reason }));
  broker.onResync((signal) =>
    signal.complete
      ? write('info', `missed events since ${signal.since} replayed: ${signal.replayed} (${signal.reason})`, signal)
      : write('warn', `missed events since ${signal.since} may not all have been replayed (${signal.reason}): refetch`, signal),
  );
  broker.onError((error) => write(droppedCodes.has(error.code) ? 'warn' : 'error', `${error.code}: ${error.message}`, error));
  broker.onUpgrade((notice) => write('info', `build ${notice.buildId} is live${notice.compatible ? '' : ' (needs a reload)'}`, notice));
}
