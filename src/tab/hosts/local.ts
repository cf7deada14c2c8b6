/**
 * `sharing: 'none'`: a broker of this tab's own, in the page — one socket per
 * tab, as without tabwire. The last resort where neither SharedWorker nor Web
 * Locks exist, and the baseline the benchmarks compare against. Loaded on demand.
 */
import { startBrowserBroker } from '../../broker/browser-broker.ts';
import { systemClock } from '../../broker/ports.ts';
import { type ProtocolLoader, loadPageProtocol } from './page-protocol.ts';
import type { Host } from './host.ts';

/** A host on a broker in this very page: both channels' far ends handed to it, `stop` run when the tab leaves. */
export function pageHost(broker: { accept(control: MessagePort, stream: MessagePort): void }, stop: () => void): Host {
  const control = new MessageChannel();
  const stream = new MessageChannel();
  broker.accept(control.port2, stream.port2);
  return {
    control: control.port1,
    stream: stream.port1,
    close() {
      control.port1.close();
      stream.port1.close();
      stop();
    },
  };
}

/** A loader not settled by then has failed: kept pending, it would never be called again, and this tab would never get a broker. */
const loadWithinMs = 5000;

/** `pageProtocol`: the dialect in code, loaded before the broker starts; without it, the config's. */
export async function localHost(buildId: string, pageProtocol?: ProtocolLoader): Promise<Host> {
  const local = startBrowserBroker({ buildId, mode: 'none' }, location.href, await loadPageProtocol(pageProtocol, { clock: systemClock, ms: loadWithinMs }));
  await local.ready;
  return pageHost(local.broker, () => void local.stop());
}
