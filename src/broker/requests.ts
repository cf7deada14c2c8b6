/**
 * Requests over the shared socket (`broker.request()`): each gets an id, goes out framed by the
 * dialect, and settles exactly once — with the server's answer, `REQUEST_FAILED` (its code as
 * `serverCode`), `TIMEOUT` after its `timeoutMs`, or `CONNECTION_LOST` when the socket drops
 * first. The answer goes back as the call's own result, so only the asking tab gets it.
 */
import { type TabwireErrorData, errorData } from '../link/errors.ts';
import type { Clock } from '../link/clock.ts';
import type { ConnectionDriver } from './connection-driver.ts';
import type { RequestAnswer } from './dialect-ingest.ts';
import type { DialectLink } from './dialect-link.ts';
import { serverCodeForTabs, serverMessageForTabs } from './protocol/server-text.ts';

interface Pending {
  resolve(data: unknown): void;
  reject(error: TabwireErrorData): void;
  timer: unknown;
}

/** Statuses in which the session stopped: a request is refused as CLOSED, not NOT_READY. */
const ended = new Set(['closed', 'unauthorized', 'forbidden']);

export interface RequestParts {
  link: DialectLink | undefined;
  driver: ConnectionDriver;
  clock: Clock;
  maxFrameBytes: number;
}

export class Requests {
  readonly #pending = new Map<string, Pending>();
  #next = 1;
  readonly #parts: RequestParts;

  constructor(parts: RequestParts) {
    this.#parts = parts;
  }

  get size(): number {
    return this.#pending.size;
  }

  request(message: unknown, timeoutMs: number): Promise<unknown> {
    const { link, driver, clock } = this.#parts;
    if (!link) throw errorData('UNSUPPORTED', "request() needs a dialect with a channel seam (a ChannelProtocol in the worker's entry or pageProtocol)");
    checkMessage(message, this.#parts.maxFrameBytes);
    const status = driver.state.status;
    if (ended.has(status)) throw errorData('CLOSED', `not sent: the session ended (${status})`);
    if (!driver.writable) throw errorData('NOT_READY', `not sent: the connection is ${status}`);
    const id = `q${this.#next++}`;
    return new Promise((resolve, reject) => {
      const bound = Number.isFinite(timeoutMs) && timeoutMs > 0 ? timeoutMs : 0;
      const timer = clock.setTimeout(() => this.#settle(id, (p) => p.reject(errorData('TIMEOUT', `request() had no answer within ${bound} ms`))), bound);
      this.#pending.set(id, { resolve, reject, timer });
      let refusal: TabwireErrorData | undefined;
      let sent = false;
      try {
        sent = link.request(id, message);
      } catch (error) {
        refusal = error as TabwireErrorData;
      }
      if (!sent) this.#settle(id, (p) => p.reject(refusal ?? errorData('DIALECT_FAILED', "the channel dialect's request threw; nothing was sent")));
    });
  }

  onResponse(answer: RequestAnswer): void {
    this.#settle(String(answer.id), (pending) => {
      if (answer.ok) pending.resolve(answer.data);
      else pending.reject(errorData('REQUEST_FAILED', serverMessageForTabs(String(answer.message)), { serverCode: serverCodeForTabs(String(answer.code)) }));
    });
  }

  /** The socket dropped (or the broker stopped): no answer can come for what is in flight. */
  failAll(message = 'the connection dropped before the answer came'): void {
    for (const id of [...this.#pending.keys()]) this.#settle(id, (p) => p.reject(errorData('CONNECTION_LOST', message)));
  }

  #settle(id: string, how: (pending: Pending) => void): void {
    const pending = this.#pending.get(id);
    if (!pending) return;
    this.#pending.delete(id);
    this.#parts.clock.clearTimeout(pending.timer);
    how(pending);
  }
}

/** A request is JSON within `maxFrameBytes`, as a `send()` is. */
function checkMessage(message: unknown, maxFrameBytes: number): void {
  let text: string | undefined;
  try {
    text = JSON.stringify(message);
  } catch {
    throw errorData('INVALID_ARGUMENT', 'request() message is not JSON-serialisable');
  }
  if (text === undefined) throw errorData('INVALID_ARGUMENT', 'request() takes a JSON value');
  if (text.length > maxFrameBytes) throw errorData('INVALID_ARGUMENT', `request of ${text.length} bytes exceeds maxFrameBytes ${maxFrameBytes}`);
}
