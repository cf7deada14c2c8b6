/**
 * `broker.request()`: a call whose answer is the server's, bounded by its own `timeoutMs` in the
 * broker (which frees its pending entry) and here a little later (should the broker not answer
 * at all), and given up at once when the app's signal aborts.
 */
import { TabwireError } from '../link/errors.ts';
import type { Call } from './calls.ts';

/** How much later than the broker's own bound the tab gives up on a request, in ms: the broker's TIMEOUT comes first. */
const tabMarginMs = 1000;

export function requestOverSocket<R>(call: Call, callTimeoutMs: number, message: unknown, options: { timeoutMs?: number; signal?: AbortSignal }): Promise<R> {
  const { timeoutMs = callTimeoutMs, signal } = options;
  if (!(typeof timeoutMs === 'number' && timeoutMs > 0 && timeoutMs <= 2 ** 31 - 1 - tabMarginMs)) {
    return Promise.reject(new TabwireError({ code: 'INVALID_ARGUMENT', message: `request() timeoutMs must be a positive number of ms, got ${String(timeoutMs)}` }));
  }
  if (signal?.aborted) return Promise.reject(signal.reason);
  const answer = call<R>('request', [message, timeoutMs], false, timeoutMs + tabMarginMs);
  if (!signal) return answer;
  return new Promise<R>((resolve, reject) => {
    const abort = () => reject(signal.reason);
    signal.addEventListener('abort', abort, { once: true });
    answer.then(resolve, reject).finally(() => signal.removeEventListener('abort', abort));
  });
}
