/**
 * What a tab attaches to: a broker reached through a control channel (comlink calls) and
 * a stream channel (events in, token answers out). A SharedWorker, a leader
 * tab over BroadcastChannel, or a broker in this very page.
 */
import type { Endpoint } from '../../link/rpc.ts';

export type Sharing = 'worker' | 'leader' | 'none';

export interface Host {
  control: Endpoint;
  stream: Endpoint;
  /** A port to hand to the broker with `attach` (SharedWorker: the stream's other end). */
  transfer?: MessagePort;
  /** Resolves when the host is found dead by means other than its lock (a frozen leader). */
  lost?: Promise<void>;
  close(): void;
}

/** Where a tab attaches: its own build's broker, or a newer build's it moved to. */
export interface Target {
  mode: Sharing;
  buildId: string;
  /** A newer build's worker, to attach to that very instance. */
  script?: string;
  name?: string;
}


/**
 * Options every tab passes when starting or joining the worker. They must be
 * the same each time: a worker running with other options does not connect,
 * it fails with an `error` event. extendedLifetime: the worker outlives a lone
 * tab's reload where the browser allows it.
 */
export const workerOptions = (name: string): WorkerOptions => ({ type: 'module', name, extendedLifetime: true }) as WorkerOptions;

/** A SharedWorker host: the worker's port for calls, a fresh MessageChannel for the stream. */
export function workerHost(worker: SharedWorker): Host {
  const channel = new MessageChannel();
  return {
    control: worker.port,
    stream: channel.port1,
    transfer: channel.port2,
    // The script failed to load, or a worker of that name runs with other options.
    lost: new Promise<void>((resolve) => worker.addEventListener('error', () => resolve(), { once: true })),
    close() {
      worker.port.close();
      channel.port1.close();
    },
  };
}
