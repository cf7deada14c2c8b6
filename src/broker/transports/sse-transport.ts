/**
 * Server-Sent Events as a transport (docs/protocols.md "Server-Sent Events"): one stream per
 * connection attempt, read with `EventSource` or `fetch` (sse-readers.ts). The stream carries
 * the credential on its request, so it "opens" at once and starts its request when the driver
 * hands it the token (`Transport.authenticate`): the handshake timer bounds the request, a 401
 * is a refusal the machine refreshes, as an auth error frame would be.
 *
 * `SseStream` outlives each attempt: it keeps the last event id (sent back as `Last-Event-ID`,
 * or in a query parameter where `EventSource` cannot send the header), the server's `retry:`, and
 * whether the current stream resumed from an id. A silence timer on the stream's bytes replaces
 * a stream that went quiet (a dead connection, or a proxy buffering it).
 */
import type { SseSpec } from './transport-spec.ts';
import type { Transport, TransportFactory, TransportHandlers } from '../ports.ts';
import type { Clock, TimerHandle } from '../../link/clock.ts';
import type { SseMessage } from './sse-parser.ts';
import { type EventSourceConstructor, type StreamReader, type StreamRequest, eventSourceReader, fetchReader } from './sse-readers.ts';

/** Where the `event:` name and the `id:` go in an event's JSON when it lacks them. */
export interface SseFields {
  /** The dialect's type field. */
  type: string;
  /** The field the `id:` fills; none: the id only resumes the stream. */
  id?: string;
}

export interface SseStreamParts {
  spec: SseSpec;
  fields: SseFields;
  clock: Clock;
  fetch: typeof fetch;
  maxFrameBytes: number;
  /** The `EventSource` to use; undefined: the fetch reader runs. @default globalThis.EventSource */
  eventSource?: EventSourceConstructor | undefined;
}

/** HTTP statuses that refuse the credential, as the machine reads refusals. */
const refusals: Record<number, string> = { 401: 'UNAUTHORIZED', 403: 'FORBIDDEN', 429: 'RATE_LIMIT_EXCEEDED' };

const hasOwn = (record: object, key: string) => Object.prototype.hasOwnProperty.call(record, key);

/**
 * The frame an event becomes: its data as sent, or, for a named event or an id the dialect
 * keeps, its JSON object with the name (and id) added where it lacks them.
 */
export function frameOf(message: SseMessage, fields: SseFields): string {
  const named = message.event !== 'message';
  // The standard keeps the last id for events without one: only an event's own id is its identity.
  const idField = message.ownId && message.id !== '' ? fields.id : undefined;
  if (!named && idField === undefined) return message.data;
  let value: unknown;
  try {
    value = JSON.parse(message.data);
  } catch {
    return message.data;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return message.data;
  const added: Record<string, unknown> = {};
  if (named && !hasOwn(value, fields.type)) added[fields.type] = message.event;
  if (idField !== undefined && !hasOwn(value, idField)) added[idField] = message.id;
  return Object.keys(added).length === 0 ? message.data : JSON.stringify({ ...added, ...value });
}

export class SseStream {
  /** The last event id received in this session ('' for none): a reconnect resumes after it. */
  #lastEventId = '';
  #retryMs: number | undefined;
  #resumed = false;
  readonly #parts: SseStreamParts;

  constructor(parts: SseStreamParts) {
    this.#parts = parts;
  }

  /** The transport factory the connection driver opens streams with. */
  readonly factory: TransportFactory = (url, handlers) => this.#open(url, handlers);

  /** An id to resume from is known. */
  hasLastEventId(): boolean {
    return this.#lastEventId !== '';
  }

  /** The current stream asked to resume from an id, to a server that replays from it (`resume`). */
  resumed(): boolean {
    return this.#resumed;
  }

  /** The server's `retry:`, in ms, when it sent one. */
  retryMs(): number | undefined {
    return this.#retryMs;
  }

  /** A session ended: its ids mean nothing to the next one. */
  forget(): void {
    this.#lastEventId = '';
    this.#resumed = false;
  }

  /** `EventSource` where the spec asks for it and the host has it; else the fetch reader. */
  #reader(): { read: StreamReader; viaEventSource: boolean } {
    const { spec, fetch, maxFrameBytes } = this.#parts;
    const Impl = 'eventSource' in this.#parts ? this.#parts.eventSource : (globalThis as { EventSource?: EventSourceConstructor }).EventSource;
    if (spec.reader === 'eventsource' && Impl) return { read: eventSourceReader(Impl, [...spec.events, spec.heartbeat]), viaEventSource: true };
    return { read: fetchReader(fetch, maxFrameBytes), viaEventSource: false };
  }

  /** The request for one stream: the credential where the spec puts it, the id to resume from. */
  #request(url: string, token: string | undefined, viaEventSource: boolean): StreamRequest {
    const { spec } = this.#parts;
    const target = new URL(url);
    const headers: Record<string, string> = {};
    if (token !== undefined && typeof spec.auth === 'object') target.searchParams.set(spec.auth.queryParam, token);
    if (token !== undefined && spec.auth === 'bearer') headers.Authorization = `Bearer ${token}`;
    const from = this.#lastEventId;
    this.#resumed = spec.resume && from !== '';
    // The header is the standard's; a parameter only for a server said to replay from it.
    if (from !== '' && !viaEventSource) headers['Last-Event-ID'] = from;
    if (from !== '' && viaEventSource && spec.resume) target.searchParams.set(spec.lastEventIdParam, from);
    if (spec.method === 'POST') headers['Content-Type'] = 'application/json';
    return {
      url: target.href,
      method: spec.method,
      headers,
      ...(spec.body !== undefined ? { body: spec.body } : {}),
      credentials: spec.auth === 'cookie' ? 'include' : 'same-origin',
    };
  }

  #open(url: string, handlers: TransportHandlers): Transport {
    const { spec, clock, fields } = this.#parts;
    let stop: (() => void) | undefined;
    let closed = false;
    let silence: TimerHandle | undefined;
    const quiet = () => {
      if (silence !== undefined) clock.clearTimeout(silence);
      silence = undefined;
    };
    const end = () => {
      closed = true;
      quiet();
      stop?.();
    };
    const lost = (reason: string) => {
      if (closed) return;
      end();
      handlers.onClose(1006, reason);
    };
    const alive = () => {
      if (closed || spec.silenceTimeoutMs === 0) return;
      quiet();
      silence = clock.setTimeout(() => lost('the stream went silent'), spec.silenceTimeoutMs);
    };
    // Nothing to connect before the credential: ready for it at once.
    queueMicrotask(() => !closed && handlers.onOpen());
    return {
      // No upstream: the broker refuses `send()` before anything gets here.
      send() {},
      close: end,
      authenticate: (token) => {
        if (closed || stop) return;
        const { read, viaEventSource } = this.#reader();
        stop = read(this.#request(url, token, viaEventSource), {
          opened: () => {
            alive();
            handlers.onAccepted?.();
          },
          refused: (status) => {
            if (closed) return;
            const code = refusals[status];
            if (code === undefined || !handlers.onRefused) return lost(`the stream was refused (HTTP ${status})`);
            end();
            handlers.onRefused(code);
          },
          message: (message) => {
            if (closed) return;
            this.#lastEventId = message.id;
            alive();
            if (message.event !== spec.heartbeat) handlers.onMessage(frameOf(message, fields));
          },
          retry: (ms) => {
            this.#retryMs = ms;
          },
          alive,
          ended: lost,
        });
      },
    };
  }
}
