/**
 * The two ways to read an event stream: the browser's `EventSource`, and `fetch` with a body
 * reader (for a header, a POST, the HTTP status, comments and `retry:`, none of which
 * `EventSource` gives a script). Both report to the same callbacks; neither reconnects by
 * itself: the connection machine decides when to try again (docs/architecture.md rule 2).
 */
import { type SseMessage, SseParser } from './sse-parser.ts';

/** One request for a stream. */
export interface StreamRequest {
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** `include` sends the browser's cookies cross-origin too. */
  credentials: 'include' | 'same-origin';
}

export interface ReaderCallbacks {
  /** The server answered 200 with an event stream. */
  opened(): void;
  /** The server answered another status before any stream (fetch reader only). */
  refused(status: number): void;
  message(message: SseMessage): void;
  /** The server's `retry:`, in ms (fetch reader only). */
  retry(ms: number): void;
  /** Bytes arrived, events or comments: the stream is alive. */
  alive(): void;
  /** The stream ended or failed; nothing more comes. */
  ended(reason: string): void;
}

/** Starts reading; the function returned stops it, after which no callback runs. */
export type StreamReader = (request: StreamRequest, callbacks: ReaderCallbacks) => () => void;

const isEventStream = (type: string | null) => type !== null && /^text\/event-stream\b/i.test(type.trim());

async function pump(body: ReadableStream<Uint8Array>, parser: SseParser, callbacks: ReaderCallbacks, stopped: () => boolean): Promise<void> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (stopped()) return;
      if (done) break;
      callbacks.alive();
      parser.push(decoder.decode(value, { stream: true }));
      if (stopped()) return;
    }
    callbacks.ended('the stream ended');
  } catch {
    if (!stopped()) callbacks.ended('the stream failed');
  }
}

/** A stream read with `fetch`: any method, headers, the status seen, comments and `retry:` read. */
export function fetchReader(fetchImpl: typeof fetch, maxChars: number): StreamReader {
  return (request, callbacks) => {
    const abort = new AbortController();
    let stopped = false;
    const isStopped = () => stopped;
    void (async () => {
      let response: Response;
      try {
        response = await fetchImpl(request.url, {
          method: request.method,
          headers: { Accept: 'text/event-stream', ...request.headers },
          ...(request.body !== undefined ? { body: request.body } : {}),
          credentials: request.credentials,
          cache: 'no-store',
          // A token goes only to the endpoint named, as with replay; a cookie stream follows, as EventSource does.
          redirect: 'Authorization' in request.headers ? 'error' : 'follow',
          signal: abort.signal,
        });
      } catch {
        // The message could quote the URL, which may carry a token: name nothing.
        if (!stopped) callbacks.ended('the stream request failed');
        return;
      }
      if (stopped) return void response.body?.cancel().catch(() => {});
      if (response.status !== 200 || !isEventStream(response.headers.get('content-type')) || !response.body) {
        void response.body?.cancel().catch(() => {});
        return response.status === 200 ? callbacks.ended('the answer is not an event stream') : callbacks.refused(response.status);
      }
      callbacks.opened();
      if (stopped) return;
      const parser = new SseParser({ message: (m) => !stopped && callbacks.message(m), retry: (ms) => callbacks.retry(ms) }, maxChars);
      await pump(response.body, parser, callbacks, isStopped);
    })();
    return () => {
      stopped = true;
      abort.abort();
    };
  };
}

interface EventSourceLike {
  onopen: ((event: unknown) => void) | null;
  onmessage: ((event: MessageEvent) => void) | null;
  onerror: ((event: unknown) => void) | null;
  addEventListener(type: string, listener: (event: MessageEvent) => void): void;
  close(): void;
}

export type EventSourceConstructor = new (url: string, init?: { withCredentials?: boolean }) => EventSourceLike;

/**
 * The browser's `EventSource`: GET only, no headers of its own, named events only for the names
 * it listens to. An error closes it: the browser would reconnect by itself on its own timing.
 */
export function eventSourceReader(Impl: EventSourceConstructor, names: readonly string[]): StreamReader {
  return (request, callbacks) => {
    let stopped = false;
    const source = new Impl(request.url, { withCredentials: request.credentials === 'include' });
    let opened = false;
    let previousId = '';
    const onEvent = (event: MessageEvent) => {
      if (stopped) return;
      callbacks.alive();
      const id = event.lastEventId ?? '';
      // EventSource says only the last id: an event that did not change it is taken not to have its own.
      callbacks.message({ event: event.type, data: typeof event.data === 'string' ? event.data : '', id, ownId: id !== previousId });
      previousId = id;
    };
    source.onopen = () => {
      if (stopped) return;
      opened = true;
      callbacks.opened();
    };
    source.onmessage = onEvent;
    for (const name of names) if (name !== 'message') source.addEventListener(name, onEvent);
    source.onerror = () => {
      if (stopped) return;
      stopped = true;
      source.close();
      callbacks.ended(opened ? 'the stream was lost' : 'the stream could not be opened');
    };
    return () => {
      stopped = true;
      source.close();
    };
  };
}
