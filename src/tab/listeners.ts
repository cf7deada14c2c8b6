/**
 * The app's listener sets (`onState`, `onResync`, `onError`, `onUpgrade`): added with an
 * unsubscribe function, called in order, and one that throws does not stop the others.
 */

import type { TabwireError } from '../link/errors.ts';
import type { UpgradeNotice } from '../link/messages.ts';
import type { ResyncSignal } from '../link/states.ts';

/** The app's listeners besides `onState` (which the connection state keeps). */
export interface AppListeners {
  resync: Set<(signal: ResyncSignal) => void>;
  error: Set<(error: TabwireError) => void>;
  upgrade: Set<(notice: UpgradeNotice) => void>;
}

/** Adds `listener` to `set`; returns the function that removes it. */
export function listen<L>(set: Set<L>, listener: L): () => void {
  set.add(listener);
  return () => void set.delete(listener);
}

/** Calls every listener with `value`; one that throws is reported (`report`) and the rest still run. */
export function notify<T>(listeners: Set<(value: T) => void>, value: T, report: (error: unknown) => void): void {
  for (const listener of listeners) {
    try {
      listener(value);
    } catch (error) {
      report(error);
    }
  }
}
