/**
 * A minimal request/response channel over anything with postMessage and message
 * listeners (a MessagePort, a SharedWorker port, a BroadcastChannel between two
 * parties).
 *
 * Why not comlink (the design card names it): comlink is 2.1 kB gzip and does not
 * tree-shake, half of the 4 kB client budget; its calls never settle when the far
 * side dies (a killed worker leaves every pending call hanging); and its proxies
 * need transferable ports, which BroadcastChannel (the leader-tab fallback) cannot
 * carry. This keeps comlink's shape — named calls, plain-data errors with a
 * code — and adds `failAll` so a lost peer rejects what was in flight.
 */
import type { TabwireErrorData } from './errors.ts';

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
  /** Reject every call in flight (the peer is gone) and refuse new ones. */
  failAll(error: TabwireErrorData): void;
  dispose(): void;
}

export function createRpcClient(endpoint: Endpoint): RpcClient {
  let nextId = 1;
  let failure: TabwireErrorData | undefined;
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: RpcError) => void }>();

  const onMessage = (event: MessageEvent) => {
    const reply = event.data as RpcReply | null;
    const waiter = typeof reply?.r === 'number' ? pending.get(reply.r) : undefined;
    if (!waiter) return;
    pending.delete(reply!.r);
    if (reply!.e) waiter.reject(new RpcError(reply!.e));
    else waiter.resolve(reply!.v);
  };
  endpoint.addEventListener('message', onMessage);
  endpoint.start?.();

  const client: RpcClient = {
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
          reject(new RpcError({ code: 'INVALID_ARGUMENT', message: `cannot send ${method}: ${(error as Error).message}` }));
        }
      });
    },
    failAll(error) {
      failure = error;
      const waiters = [...pending.values()];
      pending.clear();
      for (const waiter of waiters) waiter.reject(new RpcError(error));
    },
    dispose() {
      endpoint.removeEventListener('message', onMessage);
      client.failAll({ code: 'CLOSED', message: 'channel closed' });
    },
  };
  return client;
}
