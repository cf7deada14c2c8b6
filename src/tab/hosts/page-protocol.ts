/**
 * The `pageProtocol` option: the dialect in code for a broker this page runs (a leader tab, or a
 * broker of its own), loaded only when one starts, so an app's `import()` of its dialect costs a
 * page nothing until then. A broker in a SharedWorker takes its dialect from the worker's entry.
 * Here, with the hosts that start a page broker, so the client entry carries none of it.
 */
import type { BackendProtocol } from '../../broker/protocol/wire.ts';
import { TabwireError } from '../../link/errors.ts';

/** What an app gives as `pageProtocol`. */
export type ProtocolLoader = () => BackendProtocol | Promise<BackendProtocol>;

/** Each loader's dialect, loading or loaded: one call per page, whichever of its brokers starts first. */
const loaded = new WeakMap<ProtocolLoader, Promise<BackendProtocol>>();

/**
 * The dialect a page broker starts with: `load`'s, or undefined without one (the `protocol`
 * option's data then describes it). Rejects with `TabwireError` WORKER_UNAVAILABLE when `load`
 * fails; a failure is not kept: the tab retries its attach with backoff, and a dialect whose chunk
 * did not load may load then.
 */
export function loadPageProtocol(load: ProtocolLoader | undefined): Promise<BackendProtocol | undefined> {
  if (!load) return Promise.resolve(undefined);
  let loading = loaded.get(load);
  if (!loading) {
    const started = (loading = loadChecked(load));
    loaded.set(load, started);
    started.catch(() => loaded.get(load) === started && loaded.delete(load));
  }
  return loading;
}

async function loadChecked(load: ProtocolLoader): Promise<BackendProtocol> {
  let protocol: unknown;
  try {
    protocol = await load();
  } catch (error) {
    throw failed(`failed: ${(error as Error)?.message ?? String(error)}`, error);
  }
  // Started without it, the broker would silently speak the `protocol` option's dialect instead.
  if (typeof protocol !== 'object' || protocol === null) throw failed(`must return a protocol object, got ${protocol === null ? 'null' : typeof protocol}`);
  return protocol as BackendProtocol;
}

const failed = (why: string, cause?: unknown) =>
  new TabwireError({ code: 'WORKER_UNAVAILABLE', message: `pageProtocol ${why}; this page's broker did not start` }, cause === undefined ? undefined : { cause });
