/**
 * The app's listener sets (`onState`, `onResync`, `onError`, `onUpgrade`): added with an
 * unsubscribe function or until a signal aborts, called in order, and one that throws does not
 * stop the others. Also what `on`'s signal and `once` are made of, for every `Broker`.
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

/** What `on` and every `on…` listener method take besides the listener. */
export interface ListenOptions {
  /** Removes the listener when it aborts; a signal already aborted adds nothing. */
  signal?: AbortSignal;
}

/** Adds `listener` to `set` until the returned function is called or `signal` aborts. */
export function listen<L>(set: Set<L>, listener: L, options?: ListenOptions): () => void {
  return untilAborted(() => {
    set.add(listener);
    return () => void set.delete(listener);
  }, options?.signal);
}

/** Runs `add` unless `signal` already aborted; its undo runs once, called or on abort. */
export function untilAborted(add: () => () => void, signal: AbortSignal | undefined): () => void {
  if (signal?.aborted) return () => {};
  const remove = add();
  if (!signal) return remove;
  let removed = false;
  const off = () => {
    if (removed) return;
    removed = true;
    signal.removeEventListener('abort', off);
    remove();
  };
  signal.addEventListener('abort', off);
  return off;
}

/**
 * The next event `subscribe` hands its handler, as a promise (`once`); rejected with the reason of
 * the first of `signals` to abort, at once when one already has. Unsubscribed either way.
 */
export function nextEvent<E>(subscribe: (handler: (event: E) => void) => () => void, signals: Array<AbortSignal | undefined>): Promise<E> {
  return new Promise((resolve, reject) => {
    const aborted = signals.find((signal) => signal?.aborted);
    if (aborted) return reject(aborted.reason);
    let off = () => {};
    const stop = () => {
      off();
      for (const signal of signals) signal?.removeEventListener('abort', abort);
    };
    const abort = (event: Event) => {
      stop();
      reject((event.target as AbortSignal).reason);
    };
    off = subscribe((event) => {
      stop();
      resolve(event);
    });
    for (const signal of signals) signal?.addEventListener('abort', abort);
  });
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
