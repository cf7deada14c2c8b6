/**
 * The browser's side of `TabEnvironment`: `performance.now()` and the page's
 * timers, `navigator.locks`, the SharedWorker / leader / in-page hosts, the
 * page's online and visibility events, BroadcastChannel.
 */
import { TabwireError } from '../link/errors.ts';
import type { TabEnvironment } from './environment.ts';
import { type Host, workerHost, workerOptions } from './hosts/host.ts';
import type { ProtocolLoader } from './hosts/page-protocol.ts';

/**
 * The bundled SharedWorker, written the way bundlers recognise a worker (a `new URL` literal, a
 * literal `type`). The library build points it at `./worker.js` beside the client, so an app's
 * bundler (Vite, webpack 5, Turbopack) finds the file and serves it from the app's origin.
 */
function bundledWorker(name: string): SharedWorker {
  return new SharedWorker(new URL('../../worker/broker.worker.ts', import.meta.url), { type: 'module', name, extendedLifetime: true } as WorkerOptions);
}

/** `script` and `scriptName`: a newer build's worker, named as it announced itself; else the app's factory. */
function startWorker(name: string, factory: (name: string) => SharedWorker, script?: string, scriptName?: string): Host {
  let worker: SharedWorker;
  try {
    worker = script ? new SharedWorker(script, workerOptions(scriptName ?? name)) : factory(name);
  } catch (error) {
    // A policy, or a script of another origin: no worker here, and retrying will not change that.
    throw new TabwireError({ code: 'WORKER_UNAVAILABLE', message: String(error) });
  }
  return workerHost(worker);
}

/**
 * `worker`: the app's own factory for the SharedWorker (see `ConnectOptions.worker`); `pageProtocol`:
 * the dialect in code for a broker this page runs (see `ConnectOptions.pageProtocol`).
 */
export function browserEnvironment(worker: (name: string) => SharedWorker = bundledWorker, pageProtocol?: ProtocolLoader): TabEnvironment {
  // Web Locks are missing outside secure contexts (plain http on a LAN address). Brokers and leaders need them.
  const locks = typeof navigator !== 'undefined' && navigator.locks ? navigator.locks : undefined;
  const hasDocument = typeof document !== 'undefined';
  return {
    clock: {
      monotonic: () => performance.now(),
      setTimeout: (callback, ms) => setTimeout(callback, ms),
      clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
    },
    locks: locks && { request: (name, options, callback) => locks.request(name, options, callback) },
    available: {
      // A SharedWorker starts in an insecure context too, but its broker could not hold its lock there.
      worker: typeof SharedWorker === 'function' && !!locks,
      leader: !!locks && typeof BroadcastChannel === 'function',
    },
    async openHost({ target, name, tabId, buildId }) {
      if (target.mode === 'worker') return startWorker(name, worker, target.script, target.name);
      // Stand as leader only for this tab's own build: a tab that moved to a newer build only follows.
      if (target.mode === 'leader') return (await import('./hosts/leader.ts')).leaderHost(name, tabId, target.buildId === buildId ? buildId : undefined, undefined, pageProtocol);
      return (await import('./hosts/local.ts')).localHost(buildId, pageProtocol);
    },
    online: () => navigator.onLine,
    visible: () => !hasDocument || document.visibilityState === 'visible',
    watchSignals(onSignal) {
      const onOnline = () => onSignal({ online: true });
      const onOffline = () => onSignal({ online: false });
      const onVisibility = () => onSignal({ visible: document.visibilityState === 'visible' });
      addEventListener('online', onOnline);
      addEventListener('offline', onOffline);
      if (hasDocument) document.addEventListener('visibilitychange', onVisibility);
      return () => {
        removeEventListener('online', onOnline);
        removeEventListener('offline', onOffline);
        if (hasDocument) document.removeEventListener('visibilitychange', onVisibility);
      };
    },
    channel: (name) => (typeof BroadcastChannel === 'function' ? new BroadcastChannel(name) : undefined),
    report(error) {
      if (typeof reportError === 'function') reportError(error);
      else setTimeout(() => { throw error; });
    },
  };
}
