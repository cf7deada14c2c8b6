/**
 * The broker's side of the control plane (link/rpc.ts): comlink's `expose`
 * over one tab's control channel. Whatever a call throws goes back as plain
 * data with a `code` (docs/architecture.md, rule 6), never as an Error, whose
 * class would not survive and whose stack comlink would send along.
 */
import { type Endpoint as ComlinkEndpoint, expose } from 'comlink';
import { toErrorData } from '../link/errors.ts';
import type { ControlApi, Endpoint } from '../link/rpc.ts';

type Call = (...args: unknown[]) => unknown;

/** Answer the calls arriving on `endpoint` with `calls`; the returned function stops answering. */
export function serveControl(endpoint: Endpoint, calls: Partial<ControlApi>): () => void {
  let listener: ((event: MessageEvent) => void) | undefined;
  let stopped = false;
  const served: ComlinkEndpoint = {
    postMessage(message: unknown, transferred?: Transferable[]) {
      if (stopped) return;
      try {
        endpoint.postMessage(message, transferred);
      } catch (error) {
        // The channel closed under a call in flight (a leader dropping a follower's pair): nobody
        // is left to answer. Anything else (an answer that cannot be cloned) comlink reports.
        if ((error as Error)?.name !== 'InvalidStateError') throw error;
      }
    },
    addEventListener(_type: string, added: EventListenerOrEventListenerObject) {
      listener = added as (event: MessageEvent) => void;
      endpoint.addEventListener('message', listener);
    },
    removeEventListener: () => stop(),
    start: () => endpoint.start?.(),
  };
  const stop = () => {
    stopped = true;
    if (listener) endpoint.removeEventListener('message', listener);
  };
  expose(answeringWithCodes(calls), served);
  return stop;
}

/** `calls`, each throwing plain error data; on an object without a prototype, so only these names answer. */
function answeringWithCodes(calls: Partial<ControlApi>): Record<string, Call> {
  const answering: Record<string, Call> = Object.create(null);
  for (const [name, call] of Object.entries(calls) as Array<[string, Call]>) {
    answering[name] = async (...args) => {
      try {
        return await call(...args);
      } catch (error) {
        throw toErrorData(error);
      }
    };
  }
  return answering;
}
