/**
 * SharedWorker entry: one broker per worker, each connecting tab served on its
 * port. The worker holds a Web Lock for its whole life so tabs can wait on it
 * and learn at once when the browser kills it (they then start a new one).
 */
import { systemClock } from '../src/ports.ts';
import { Broker } from './broker.ts';
import { idbStores } from './idb-store.ts';
import { webLocks } from './tabs.ts';
import { webSocketTransport } from './ws-transport.ts';

interface SharedWorkerScope {
  name: string;
  location: { href: string };
  onconnect: ((event: MessageEvent) => void) | null;
}

const scope = self as unknown as SharedWorkerScope;
const brokerId = crypto.randomUUID();
const brokerLock = `tabwire-broker:${brokerId}`;
// The worker name is `tabwire|<buildId>|<url>` (see client.ts): the build comes from the tab that started us.
const buildId = scope.name.split('|')[1] ?? 'unknown';

const lockHeld = new Promise<void>((resolve) => {
  void navigator.locks.request(brokerLock, () => {
    resolve();
    return new Promise<never>(() => {});
  });
});

const broker = new Broker({
  clock: systemClock,
  random: () => Math.random(),
  transport: webSocketTransport(),
  stores: idbStores(),
  locks: webLocks,
  fetch: (input, init) => fetch(input, init),
  brokerId,
  brokerLock,
  buildId,
  baseUrl: scope.location.href,
});

scope.onconnect = (event) => {
  const port = event.ports[0];
  // Ports queue their messages until started, so nothing is lost while the lock is taken.
  if (port) void lockHeld.then(() => broker.accept(port));
};
