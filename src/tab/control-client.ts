/**
 * A tab's side of the control plane (docs/architecture.md, rule 11): its calls to the
 * broker, made with comlink over the control channel (the SharedWorker's port, a
 * BroadcastChannel to the leader tab, or an in-page port). The calls are `ControlApi`
 * (link/rpc.ts); the broker's side is `serveControl` (broker/control.ts).
 *
 * comlink makes the calls; this wrapper adds what comlink leaves out:
 * - a lost broker rejects every call in flight (`failAll`): comlink's calls
 *   never settle when the far side dies, and `releaseProxy` only forgets them;
 * - errors come back as `TabwireError` with the broker's `code` (rule 6);
 * - arguments that cannot be cloned fail as INVALID_ARGUMENT, not as a
 *   DataCloneError;
 * - nothing is posted once the link failed: comlink posts a release when a
 *   proxy is collected, which a closed BroadcastChannel would throw as an
 *   unhandled rejection.
 * Only plain calls cross, and a port handed over with `attach`: no `proxy()`
 * callbacks, which would need ports a BroadcastChannel cannot carry.
 */
import { type Endpoint as ComlinkEndpoint, transfer, wrap } from 'comlink';
import { TabwireError, type TabwireErrorData, toErrorData } from '../link/errors.ts';
import type { AttachReply, AttachRequest } from '../link/messages.ts';
import type { ControlApi, ControlMethod, Endpoint } from '../link/rpc.ts';

export interface ControlClient {
  attach(request: AttachRequest, stream?: MessagePort): Promise<AttachReply>;
  call<T>(method: ControlMethod, args: unknown[]): Promise<T>;
  /**
   * Tell the broker this tab leaves (`closing`: by its `close()`). Settles once the broker
   * answered, whatever `failAll` does meanwhile, or never when it is gone: the caller bounds it.
   */
  detach(closing: boolean): Promise<void>;
  /** Reject every call in flight (the broker is gone, or this tab left it) and refuse new ones. */
  failAll(error: TabwireErrorData): void;
}

export function createControlClient(endpoint: Endpoint): ControlClient {
  let failure: TabwireErrorData | undefined;
  const losers = new Set<(error: TabwireError) => void>();
  const remote = wrap<ControlApi>(guardedEndpoint(endpoint, () => failure !== undefined));

  /** Start a call (it posts at once) and settle it with its answer or the loss, whichever comes first. */
  const settle = <T>(start: () => Promise<unknown>): Promise<T> => {
    if (failure) return Promise.reject(new TabwireError(failure));
    return new Promise<T>((resolve, reject) => {
      losers.add(reject);
      new Promise<unknown>((answered) => answered(start()))
        .then((value) => resolve(value as T), (error: unknown) => reject(asTabwireError(error)))
        .finally(() => losers.delete(reject));
    });
  };

  return {
    attach: (request, stream) => settle(() => (stream ? remote.attach(request, transfer(stream, [stream])) : remote.attach(request))),
    call: <T>(method: ControlMethod, args: unknown[]) =>
      settle<T>(() => (remote[method] as unknown as (...args: unknown[]) => Promise<unknown>)(...args)),
    // Not among the calls `failAll` rejects: leaving is what comes after them, and its answer is
    // what tells the tab the broker heard it.
    detach: (closing) => {
      if (failure) return Promise.resolve();
      return new Promise<unknown>((answered) => answered(closing ? remote.detach(true) : remote.detach())).then(
        () => {},
        () => {},
      );
    },
    failAll(error) {
      failure = error;
      const waiting = [...losers];
      losers.clear();
      for (const lose of waiting) lose(new TabwireError(error));
    },
  };
}

/** What a call rejected with: the broker's error data, a refused post (already a TabwireError), or comlink's own Error. */
function asTabwireError(error: unknown): TabwireError {
  return error instanceof TabwireError ? error : new TabwireError(toErrorData(error));
}

/** `endpoint` as comlink sees it: a post that throws is the caller's INVALID_ARGUMENT; after a failure nothing is posted. */
function guardedEndpoint(endpoint: Endpoint, failed: () => boolean): ComlinkEndpoint {
  return {
    postMessage(message: { path?: string[] }, transferred?: Transferable[]) {
      if (failed()) return;
      try {
        endpoint.postMessage(message, transferred);
      } catch (error) {
        // DataCloneError: the arguments could not be sent (or the channel was closed under us).
        throw new TabwireError({ code: 'INVALID_ARGUMENT', message: `cannot send ${message.path?.join('.')}: ${(error as Error).message}` });
      }
    },
    addEventListener: (_type: string, listener: EventListenerOrEventListenerObject) =>
      endpoint.addEventListener('message', listener as (event: MessageEvent) => void),
    removeEventListener: (_type: string, listener: EventListenerOrEventListenerObject) =>
      endpoint.removeEventListener('message', listener as (event: MessageEvent) => void),
    start: () => endpoint.start?.(),
  };
}
