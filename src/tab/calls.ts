/**
 * The tab's calls to its broker, as the public methods make them: each bounded in time
 * on the injected clock, waiting first for a broker to be attached, and repeated once on
 * the next broker when one died under a call that is safe to repeat.
 */
import { TabwireError } from '../link/errors.ts';
import type { ControlClient } from './control-client.ts';
import type { ControlMethod } from '../link/rpc.ts';
import type { TabClock } from '../link/clock.ts';

/** `promise`, or TIMEOUT (naming `what`) once `ms` have passed on `clock`. */
export function withTimeout<T>(clock: TabClock, promise: Promise<T>, what: string, ms: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = clock.setTimeout(() => reject(new TabwireError({ code: 'TIMEOUT', message: `${what} took longer than ${ms} ms` })), ms);
    promise.then(resolve, reject).finally(() => clock.clearTimeout(timer));
  });
}

export function toTabwireError(error: unknown): TabwireError {
  if (error instanceof TabwireError) return error;
  return new TabwireError({ code: 'INTERNAL', message: (error as Error)?.message ?? String(error) });
}

export const closedError = (): TabwireError => new TabwireError({ code: 'CLOSED', message: 'this broker was closed' });

/** Where calls go: the link in use, if any, and the attachment under way (`Broker.ready`). */
export interface CallTarget {
  readonly current: { rpc: ControlClient } | undefined;
  readonly ready: Promise<void>;
}

/**
 * A call to the broker. `retry`: safe to repeat, so retried once on the next broker if this one
 * died. `boundMs`: fails with TIMEOUT after that long (default: `callTimeoutMs`); `null` only for
 * `send`, which legitimately waits in the buffer until reconnected, and settles when this tab
 * closes (CLOSED) or the broker dies (WORKER_LOST). Not `undefined`: that would be the default.
 */
export type Call = <T>(method: ControlMethod, args: unknown[], retry?: boolean, boundMs?: number | null) => Promise<T>;

/** What a call needs of its tab: whether it closed (and when), and a refusal of its options. */
export interface ClosingTab {
  readonly closed: boolean;
  /** Resolves when the tab closes. */
  readonly whenClosed: Promise<void>;
  readonly refused?: TabwireError | undefined;
}

/**
 * Calls to the broker `links` has in use, each bounded by `timeoutMs` (the `callTimeoutMs` option)
 * unless it says otherwise; all fail with CLOSED once `tab` closed.
 */
export function createCall(clock: TabClock, timeoutMs: number, links: CallTarget, tab: ClosingTab): Call {
  // A tab that closes while a call waits for a broker: the call fails CLOSED now, not at its bound.
  const closing = tab.whenClosed.then(() => Promise.reject(closedError()));
  closing.catch(() => {});
  const call: Call = async <T>(method: ControlMethod, args: unknown[], retry = true, boundMs: number | null = timeoutMs): Promise<T> => {
    if (tab.closed) throw closedError();
    // Waiting for a broker counts against the call's timeout, even for calls that may then wait
    // longer in it (send, recent): one that cannot start is retried forever.
    await Promise.race([withTimeout(clock, links.ready, method, timeoutMs), closing]);
    if (tab.closed) throw closedError();
    // The broker refused this tab's options: no broker will take them, say why.
    if (tab.refused) throw tab.refused;
    try {
      const link = links.current;
      if (!link) throw new TabwireError({ code: 'WORKER_LOST', message: 'no broker attached' });
      const pending = link.rpc.call<T>(method, args);
      return await (boundMs === null ? pending : withTimeout(clock, pending, method, boundMs));
    } catch (error) {
      const failure = toTabwireError(error);
      if (retry && failure.code === 'WORKER_LOST' && !tab.closed) return call<T>(method, args, false, boundMs);
      throw failure;
    }
  };
  return call;
}
