/**
 * `sharing: 'none'`: a broker of this tab's own, in the page — one socket per
 * tab, as without tabwire. The last resort where neither SharedWorker nor Web
 * Locks exist, and the baseline the benchmarks compare against. Loaded on demand.
 */
import { startBrowserBroker } from '../../broker/browser-broker.ts';
import type { BackendProtocol } from '../../broker/protocol/wire.ts';
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

/** `protocol`: the dialect in code (the page's `pageProtocol`); else the config's. */
export async function localHost(buildId: string, protocol?: BackendProtocol): Promise<Host> {
  const local = startBrowserBroker({ buildId, mode: 'none' }, location.href, protocol);
  await local.ready;
  return pageHost(local.broker, () => void local.stop());
}
