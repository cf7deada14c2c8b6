/**
 * Starting the broker in a SharedWorker: one broker per worker, each connecting tab
 * served on its port. The worker holds a Web Lock for its whole life so tabs can wait
 * on it and learn at once when the browser kills it (they then start a new one).
 */
import { tabwireBuild } from '../link/build-id.ts';
import { buildOfHostName } from '../link/host-name.ts';
import { type BrowserBroker, startBrowserBroker } from './browser-broker.ts';
import type { BackendProtocol } from './protocol/wire.ts';

interface SharedWorkerScope {
  name: string;
  location: { href: string };
  onconnect: ((event: MessageEvent) => void) | null;
}

export interface SharedWorkerBrokerOptions {
  /**
   * The backend's dialect in code, for what the `protocol` option cannot describe as data.
   * The tabs' `protocol` option is then ignored; their `schemas` still apply.
   * @default the dialect the tabs' `protocol` option describes (PurposePath's when none)
   */
  protocol?: BackendProtocol;
}

/** The broker serving this worker's tabs; `explicit`: started by the entry's own `startSharedWorkerBroker`. */
let running: { host: BrowserBroker; explicit: boolean } | undefined;
/** Ports of tabs that connected before any broker started, in order. */
let waiting: MessagePort[] | undefined;

/**
 * Until a broker is started, a connecting tab's port waits, and the default broker starts a task
 * later. An app's own entry calling `startSharedWorkerBroker` at its top level comes first; one
 * that awaits first (a top-level `await`) may come after a tab connected: within that task it is
 * the one that starts, and later it replaces the default broker (whose tabs re-attach to it).
 */
export function startOnFirstConnect(): void {
  if (running || waiting) return;
  const scope = self as unknown as SharedWorkerScope;
  waiting = [];
  scope.onconnect = (event) => {
    const port = event.ports[0];
    if (!port || !waiting) return;
    if (waiting.push(port) === 1) setTimeout(() => void startBroker({}, false), 0);
  };
}

/**
 * Start the broker of this SharedWorker with your own dialect. Call it once, at the top level of
 * your own worker entry (a module worker); later calls do nothing. After a top-level `await` it
 * still wins: a tab that connected meanwhile is served by it, or, if the default broker already
 * started for that tab, the default one stops and its tabs attach again, to this one.
 */
export function startSharedWorkerBroker(options: SharedWorkerBrokerOptions = {}): void {
  if (running?.explicit) return;
  void startBroker(options, true);
}

async function startBroker(options: SharedWorkerBrokerOptions, explicit: boolean): Promise<void> {
  if (running && (running.explicit || !explicit)) return;
  const replaced = running?.host;
  const scope = self as unknown as SharedWorkerScope;
  const host = startHere(scope, options.protocol);
  running = { host, explicit };
  const held = waiting ?? [];
  waiting = undefined;
  scope.onconnect = (event) => {
    const port = event.ports[0];
    // Ports queue their messages until started, so nothing is lost while the lock is taken.
    if (port) void host.ready.then(() => host.broker.accept(port));
  };
  if (replaced) {
    console.warn('tabwire: startSharedWorkerBroker came after a tab connected; the default broker stops and its tabs attach again');
    // Its lock goes with it: its tabs hear it and connect again, to this broker.
    await replaced.stop();
  }
  for (const port of held) void host.ready.then(() => host.broker.accept(port));
}

/** A broker for this worker. */
function startHere(scope: SharedWorkerScope, protocol: BackendProtocol | undefined): BrowserBroker {
  // The worker's name (`hostName`) carries the build of the tab that started us (an app's own `buildId`
  // included). A factory that did not pass the name on (the documented `worker: () => SharedWorker`)
  // started us for tabs of the library's build, the build this file was compiled from.
  return startBrowserBroker(
    { buildId: buildOfHostName(scope.name) ?? tabwireBuild, mode: 'worker', script: scope.location.href, name: scope.name },
    scope.location.href,
    protocol,
  );
}
