/**
 * The answering side of the RPC channel (see rpc.ts): the broker serves each
 * tab's calls with it. Its own module, so the tab's bundle does not carry it.
 */
import { toErrorData } from './errors.ts';
import type { Endpoint, RpcReply, RpcRequest } from './rpc.ts';

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
