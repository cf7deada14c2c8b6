/**
 * Starting the broker in a SharedWorker: one broker per worker, each connecting tab
 * served on its port. The worker holds a Web Lock for its whole life so tabs can wait
 * on it and learn at once when the browser kills it (they then start a new one).
 */
import { tabwireBuild } from '../link/build-id.ts';
import { startBrowserBroker } from './browser-broker.ts';
import type { Protocol } from './protocol/wire.ts';

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
  protocol?: Protocol;
}

let started = false;

/**
 * Until a broker is started, the first tab to connect starts the default one. An app's own
 * entry that calls `startSharedWorkerBroker` first (at its top level: before any tab's connect
 * event, which is a later task) replaces this.
 */
export function startOnFirstConnect(): void {
  if (started) return;
  const scope = self as unknown as SharedWorkerScope;
  scope.onconnect = (event) => {
    startSharedWorkerBroker();
    scope.onconnect?.(event);
  };
}

/**
 * Start the broker of this SharedWorker. Call it once, at the top level of your own worker
 * entry (a module worker), so it runs before the first tab connects; later calls do nothing.
 */
export function startSharedWorkerBroker(options: SharedWorkerBrokerOptions = {}): void {
  if (started) return;
  started = true;
  const scope = self as unknown as SharedWorkerScope;
  // The worker name is `tabwire|<buildId>|<url>|<app>` (tab/hosts/host.ts): the build comes from the tab that started us
  // (an app's own `buildId` included). A factory that did not pass the name on (the documented `worker: () =>
  // SharedWorker`) started us for tabs of the library's build, the build this file was compiled from.
  const named = scope.name.startsWith('tabwire|');
  const host = startBrowserBroker(
    { buildId: named ? scope.name.split('|')[1]! : tabwireBuild, mode: 'worker', script: scope.location.href, name: scope.name },
    scope.location.href,
    options.protocol,
  );
  scope.onconnect = (event) => {
    const port = event.ports[0];
    // Ports queue their messages until started, so nothing is lost while the lock is taken.
    if (port) void host.ready.then(() => host.broker.accept(port));
  };
}
