/**
 * The `pageProtocol` option: the dialect in code for a broker this page runs (a leader tab, or a
 * broker of its own), loaded only when one starts, so an app's `import()` of its dialect costs a
 * page nothing until then. A broker in a SharedWorker takes its dialect from the worker's entry.
 * Here, with the hosts that start a page broker, so the client entry carries none of it.
 */
import type { BackendProtocol } from '../../broker/protocol/wire.ts';
import type { Clock } from '../../link/clock.ts';
import { TabwireError } from '../../link/errors.ts';

/** What an app gives as `pageProtocol`. */
export type ProtocolLoader = () => BackendProtocol | Promise<BackendProtocol>;

/** Each loader's dialect, loading or loaded: one call per page, whichever of its brokers starts first. */
const loaded = new WeakMap<ProtocolLoader, Promise<BackendProtocol>>();

/** A time limit on a load: `ms` on `clock`. */
export interface LoadBound {
  clock: Pick<Clock, 'setTimeout' | 'clearTimeout'>;
  ms: number;
}

/**
 * The dialect a page broker starts with: `load`'s, or undefined without one (the `protocol`
 * option's data then describes it). Rejects with `TabwireError` WORKER_UNAVAILABLE when `load`
 * fails, or has not settled within `within` (a stalled chunk must not hold a leader's lock for
 * good). A failure is not kept: the tab retries its attach with backoff, which calls `load` again;
 * that helps a loader that fetches or hit a transient error, but a browser may keep a failed
 * `import()` of the same URL failing until the page reloads.
 */
export function loadPageProtocol(load: ProtocolLoader | undefined, within?: LoadBound): Promise<BackendProtocol | undefined> {
  if (!load) return Promise.resolve(undefined);
  let loading = loaded.get(load);
  if (!loading) {
    const started = (loading = loadChecked(load, within));
    loaded.set(load, started);
    started.catch(() => loaded.get(load) === started && loaded.delete(load));
  }
  return loading;
}

async function loadChecked(load: ProtocolLoader, within: LoadBound | undefined): Promise<BackendProtocol> {
  const loading = new Promise<unknown>((resolve) => resolve(load())).catch((error: unknown) => {
    throw failed(`failed: ${(error as Error)?.message ?? String(error)}`, error);
  });
  const protocol = await (within ? withinTime(loading, within) : loading);
  // Started without it, the broker would silently speak the `protocol` option's dialect instead.
  if (typeof protocol !== 'object' || protocol === null) throw failed(`must return a protocol object, got ${protocol === null ? 'null' : typeof protocol}`);
  return protocol as BackendProtocol;
}

function withinTime<T>(loading: Promise<T>, { clock, ms }: LoadBound): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(failed(`did not settle within ${ms} ms`)), ms);
    loading.then(resolve, reject).finally(() => clock.clearTimeout(timer));
  });
}

const failed = (why: string, cause?: unknown) =>
  new TabwireError({ code: 'WORKER_UNAVAILABLE', message: `pageProtocol ${why}; this page's broker did not start` }, cause === undefined ? undefined : { cause });
