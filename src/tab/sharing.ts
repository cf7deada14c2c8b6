/**
 * How a tab shares the connection: the way asked for, or the best one this browser
 * has (`auto`: a SharedWorker, else a leader tab, else none), and the warning when
 * a page that is not a secure context cannot share at all.
 */
import { TabwireError, type TabwireErrorData } from '../link/errors.ts';
import type { Sharing } from './hosts/host.ts';
import type { TabEnvironment } from './environment.ts';
import type { ConnectOptions } from './options.ts';

/** The best way to share available here, or the one asked for if it is available. */
export function pickSharing(wanted: ConnectOptions['sharing'], { worker, leader }: TabEnvironment['available']): Sharing {
  if ((wanted === 'worker' && !worker) || (wanted === 'leader' && !leader)) {
    throw new TabwireError({ code: 'INVALID_ARGUMENT', message: `sharing '${wanted}' is not available in this browser` });
  }
  if (wanted && wanted !== 'auto') return wanted;
  return worker ? 'worker' : leader ? 'leader' : 'none';
}

/** The insecure-context warning is printed once per page, however many brokers it connects. */
let warnedInsecure = false;

/**
 * Without Web Locks (not a secure context: plain http at a LAN address) and with `sharing: 'auto'`,
 * say why every tab has its own socket: on the console once per page, and to this tab's `onError`.
 */
export function warnIfInsecure(env: TabEnvironment, wanted: ConnectOptions['sharing'], emitError: (error: TabwireErrorData) => void): void {
  if (env.locks || (wanted ?? 'auto') !== 'auto') return;
  const message = 'no Web Locks here (not a secure context): this tab keeps a connection of its own';
  if (!warnedInsecure) console.warn(`tabwire: ${message}`);
  warnedInsecure = true;
  // After connectBroker returned, so the app's onError listener is there to hear it.
  env.clock.setTimeout(() => emitError({ code: 'WORKER_UNAVAILABLE', message }), 0);
}
