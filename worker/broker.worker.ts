/**
 * SharedWorker entry: one broker per worker, each connecting tab served on its
 * port. The worker holds a Web Lock for its whole life so tabs can wait on it
 * and learn at once when the browser kills it (they then start a new one).
 */
import { tabwireBuild } from '../src/link/build-id.ts';
import { startBrowserBroker } from '../src/broker/browser-broker.ts';

interface SharedWorkerScope {
  name: string;
  location: { href: string };
  onconnect: ((event: MessageEvent) => void) | null;
}

const scope = self as unknown as SharedWorkerScope;
// The worker name is `tabwire|<buildId>|<url>` (see client.ts): the build comes from the tab that started us
// (an app's own `buildId` included). A factory that did not pass the name on (the documented `worker: () =>
// SharedWorker`) started us for tabs of the library's build, the build this file was compiled from.
const named = scope.name.startsWith('tabwire|');
const host = startBrowserBroker(
  { buildId: named ? scope.name.split('|')[1]! : tabwireBuild, mode: 'worker', script: scope.location.href, name: scope.name },
  scope.location.href,
);

scope.onconnect = (event) => {
  const port = event.ports[0];
  // Ports queue their messages until started, so nothing is lost while the lock is taken.
  if (port) void host.ready.then(() => host.broker.accept(port));
};
