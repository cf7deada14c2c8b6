/**
 * The `pageProtocol` option: the dialect in code for a broker this page runs (a leader tab, or a
 * broker of its own), loaded only when one starts, so an app's `import()` of its dialect costs a
 * page nothing until then. A broker in a SharedWorker takes its dialect from the worker's entry.
 */
import type { BackendProtocol } from '../broker/protocol/wire.ts';
import { TabwireError } from '../link/errors.ts';

/** What an app gives as `pageProtocol`. */
export type ProtocolLoader = () => BackendProtocol | Promise<BackendProtocol>;

/**
 * The dialect a page broker starts with; undefined without `pageProtocol` (the `protocol`
 * option's data then describes it). Rejects with a `TabwireError` when the loader fails.
 */
export type PageProtocol = () => Promise<BackendProtocol | undefined>;

/**
 * `load` called once for the page, when its first broker starts. A failure is not kept: the tab
 * retries its attach with backoff, and a dialect whose chunk did not load may load then.
 */
export function loadPageProtocol(load: ProtocolLoader | undefined): PageProtocol {
  if (!load) return () => Promise.resolve(undefined);
  let loading: Promise<BackendProtocol> | undefined;
  return () => {
    loading ??= loadChecked(load).catch((error: unknown) => {
      loading = undefined;
      throw error;
    });
    return loading;
  };
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
