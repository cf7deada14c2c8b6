/**
 * The broker's side of the control plane (`ControlApi`, link/rpc.ts): comlink's
 * `expose` over one tab's control channel. Whatever a call throws goes back as plain
 * data with a `code` (docs/architecture.md, rule 6), never as an Error, whose
 * class would not survive and whose stack comlink would send along.
 */
import { type Endpoint as ComlinkEndpoint, expose } from 'comlink';
import { errorData, toErrorData } from '../link/errors.ts';
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
      const comlinkListener = added as (event: MessageEvent) => void;
      listener = (event) => comlinkListener(onlyServedCalls(event, answering));
      endpoint.addEventListener('message', listener);
    },
    removeEventListener: () => stop(),
    start: () => endpoint.start?.(),
  };
  const stop = () => {
    stopped = true;
    if (listener) endpoint.removeEventListener('message', listener);
  };
  const answering = answeringWithCodes(calls);
  expose(answering, served);
  return stop;
}

/** Where a refused request is sent instead: a symbol, which no message can name (structured cloning drops symbols). */
const refuse = Symbol('refuse');

/** comlink's requests other than a call and a release: reading, writing or constructing what a path names, or asking for an endpoint. */
const otherRequests = new Set(['GET', 'SET', 'CONSTRUCT', 'ENDPOINT']);

/**
 * comlink walks whatever path a request names, through any property: a call to `send.constructor`
 * would reach the function constructor, a set would replace a call. Only a call by one served
 * name passes; any other request is turned into a call of `refuse`, so its caller gets a clear
 * error under its own id. Messages that are not comlink requests pass as they are (comlink ignores them).
 */
function onlyServedCalls(event: MessageEvent, answering: Answering): MessageEvent {
  const request = event.data as { id?: unknown; type?: unknown; path?: unknown } | null;
  if (typeof request !== 'object' || request === null) return event;
  const { type, path, argumentList } = request as { type?: unknown; path?: unknown; argumentList?: unknown };
  const served =
    type === 'APPLY' && Array.isArray(path) && path.length === 1 && typeof path[0] === 'string' && Object.hasOwn(answering, path[0]) && wireValues(argumentList);
  if (served || (type !== 'APPLY' && !otherRequests.has(type as string))) return event;
  const named = Array.isArray(path) ? path.map(String).join('.').slice(0, 100) : '';
  const refused = { id: request.id, type: 'APPLY', path: [refuse], argumentList: [{ type: 'RAW', value: named }] };
  return { data: refused } as MessageEvent;
}

/** comlink's transfer handlers: an argument naming another one would throw inside comlink, outside its reply. */
const handlerNames = new Set(['proxy', 'throw']);

/** Arguments as comlink sends them: raw values, or values of a handler it has. */
function wireValues(list: unknown): boolean {
  if (!Array.isArray(list)) return false;
  return list.every((value: { type?: unknown; name?: unknown } | null) => value?.type === 'RAW' || (value?.type === 'HANDLER' && handlerNames.has(value.name as string)));
}

type Answering = Record<string, Call> & { [refuse]: Call };

/** `calls`, each throwing plain error data; on an object without a prototype, so only these names answer. */
function answeringWithCodes(calls: Partial<ControlApi>): Answering {
  const answering = Object.create(null) as Answering;
  answering[refuse] = (named) => {
    throw errorData('INVALID_ARGUMENT', `"${String(named)}" is not a broker call: only the calls by their own name answer`);
  };
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
