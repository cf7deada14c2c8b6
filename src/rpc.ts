/**
 * A minimal request/response channel over anything with postMessage and message
 * listeners (a MessagePort, a SharedWorker port, a BroadcastChannel between two
 * parties).
 *
 * Why not comlink (DESIGN.md suggests it): comlink is 2.1 kB gzip and does not
 * tree-shake, half of the 4 kB client budget; its calls never settle when the far
 * side dies (a killed worker leaves every pending call hanging); and its proxies
 * need transferable ports, which BroadcastChannel (the leader-tab fallback) cannot
 * carry. This keeps comlink's shape — named calls, plain-data errors with a
 * code — and adds `failAll` so a lost peer rejects what was in flight.
 */
import { type TabwireErrorData, toErrorData } from './errors.ts';

export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?: () => void;
}

/** Request: `q` call id, `m` method, `a` arguments. Reply: `r` id, and `v` value or `e` error. */
export type RpcRequest = { q: number; m: string; a: unknown[] };
export type RpcReply = { r: number; v?: unknown; e?: TabwireErrorData };

export class RpcError extends Error {
  constructor(readonly data: TabwireErrorData) {
    super(data.message);
  }
}

export interface RpcClient {
  call<T>(method: string, args: unknown[], transfer?: Transferable[]): Promise<T>;
  /** Reject every call in flight (the peer is gone) and refuse new ones until `revive`. */
  failAll(error: TabwireErrorData): void;
  /** Accept calls again on a fresh endpoint after `failAll`. */
  revive(endpoint: Endpoint): void;
  dispose(): void;
}

export function createRpcClient(initial: Endpoint): RpcClient {
  let endpoint = initial;
  let nextId = 1;
  let failure: TabwireErrorData | undefined;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: RpcError) => void }>();

  const onMessage = (event: MessageEvent) => {
    const reply = event.data as RpcReply | null;
    if (typeof reply !== 'object' || reply === null || typeof reply.r !== 'number') return;
    const waiter = pending.get(reply.r);
    if (!waiter) return;
    pending.delete(reply.r);
    if (reply.e) waiter.reject(new RpcError(reply.e));
    else waiter.resolve(reply.v);
  };
  const listen = (ep: Endpoint) => {
    ep.addEventListener('message', onMessage);
    ep.start?.();
  };
  listen(endpoint);

  return {
    call<T>(method: string, args: unknown[], transfer: Transferable[] = []) {
      if (failure) return Promise.reject(new RpcError(failure));
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        try {
          endpoint.postMessage({ q: id, m: method, a: args } satisfies RpcRequest, transfer);
        } catch (error) {
          // DataCloneError: the arguments could not be sent.
          pending.delete(id);
          reject(new RpcError({ code: 'INVALID_ARGUMENT', message: `cannot send ${method}: ${toErrorData(error).message}` }));
        }
      });
    },
    failAll(error) {
      failure = error;
      const waiters = [...pending.values()];
      pending.clear();
      for (const waiter of waiters) waiter.reject(new RpcError(error));
    },
    revive(next) {
      endpoint.removeEventListener('message', onMessage);
      endpoint = next;
      failure = undefined;
      listen(endpoint);
    },
    dispose() {
      endpoint.removeEventListener('message', onMessage);
      this.failAll({ code: 'CLOSED', message: 'channel closed' });
    },
  };
}

export type RpcHandlers = Record<string, (...args: never[]) => unknown>;

/**
 * Answer calls arriving on `endpoint` with `handlers`. `transferOf` lets a
 * handler's caller hand over ports that came with the request (event.ports).
 */
export function serveRpc(
  endpoint: Endpoint,
  handlers: (ports: readonly MessagePort[]) => RpcHandlers,
): () => void {
  const onMessage = (event: MessageEvent) => {
    const request = event.data as RpcRequest | null;
    if (typeof request !== 'object' || request === null || typeof request.q !== 'number') return;
    const reply = (message: RpcReply) => {
      try {
        endpoint.postMessage(message);
      } catch (error) {
        endpoint.postMessage({ r: request.q, e: toErrorData(error) } satisfies RpcReply);
      }
    };
    const handler = handlers(event.ports ?? [])[request.m];
    if (typeof handler !== 'function' || !Array.isArray(request.a)) {
      reply({ r: request.q, e: { code: 'INVALID_ARGUMENT', message: `unknown call ${String(request.m)}` } });
      return;
    }
    Promise.resolve()
      .then(() => (handler as (...args: unknown[]) => unknown)(...request.a))
      .then(
        (value) => reply({ r: request.q, v: value }),
        (error: unknown) => reply({ r: request.q, e: toErrorData(error) }),
      );
  };
  endpoint.addEventListener('message', onMessage);
  endpoint.start?.();
  return () => endpoint.removeEventListener('message', onMessage);
}
