/**
 * The event stream format as the HTML standard interprets it ("Interpreting an event stream"),
 * for the fetch reader (`EventSource` parses on its own): lines end with CRLF, LF or CR, a
 * leading BOM is dropped, `:` starts a comment, `event`, `data` (lines joined with LF), `id`
 * (kept across events; one holding NUL is ignored) and `retry` (digits only) are the fields,
 * an empty line dispatches. Text comes in already decoded, in chunks cut anywhere.
 *
 * Bounded: an event whose line or data runs past `maxChars` comes out one character past it (cut,
 * or padded where a cut line kept less), so the frame reader refuses it as oversized instead of
 * this buffer growing with whatever a server sends. That policy is why this is not
 * eventsource-parser: its `maxBufferSize` ends the whole stream, where an oversized event must cost
 * only itself, counted, as an oversized WebSocket frame does.
 */

export interface SseMessage {
  /** The `event:` name, `message` when none was given. */
  event: string;
  data: string;
  /** The last event id as of this event ('' for none): what a reconnect sends as `Last-Event-ID`. */
  id: string;
  /** The event carried an `id:` line of its own: `id` is this event's, not only the stream's last. */
  ownId: boolean;
}

export interface SseSink {
  message(message: SseMessage): void;
  /** A `retry:` field: the server's reconnection time, in ms. */
  retry(ms: number): void;
}

export class SseParser {
  #pending = '';
  #started = false;
  /** The previous chunk ended with CR: an LF starting this one belongs to that line's end. */
  #afterCr = false;
  #event = '';
  #data: string[] = [];
  #dataChars = 0;
  /** A line of this event was cut at the bound: the event is refused whole. */
  #overflow = false;
  #id = '';
  /** This event set the id itself. */
  #ownId = false;

  constructor(
    readonly sink: SseSink,
    readonly maxChars: number,
  ) {}

  /** The last event id so far ('' for none). */
  get lastEventId(): string {
    return this.#id;
  }

  push(chunk: string): void {
    let text = chunk;
    if (!this.#started && text.length > 0) {
      this.#started = true;
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
    }
    if (this.#afterCr && text.startsWith('\n')) text = text.slice(1);
    this.#afterCr = false;
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      this.#line(this.#pending + text.slice(start, i));
      this.#pending = '';
      if (code === 13) {
        if (i + 1 < text.length) {
          if (text.charCodeAt(i + 1) === 10) i++;
        } else this.#afterCr = true;
      }
      start = i + 1;
    }
    // Past the bound a line is cut, so the event it belongs to is refused whole.
    const pending = this.#pending + text.slice(start);
    if (pending.length > this.maxChars) this.#overflow = true;
    this.#pending = pending.slice(0, this.maxChars + 1);
  }

  #line(line: string): void {
    if (line === '') return this.#dispatch();
    if (line.charCodeAt(0) === 58 /* : */) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#event = value;
        return;
      case 'data':
        if (this.#dataChars > this.maxChars) {
          this.#overflow = true;
          return;
        }
        this.#data.push(value);
        this.#dataChars += value.length + 1;
        return;
      case 'id':
        if (!value.includes('\u0000')) {
          this.#id = value;
          this.#ownId = true;
        }
        return;
      case 'retry':
        if (/^\d+$/.test(value)) this.sink.retry(Number(value));
        return;
    }
  }

  #dispatch(): void {
    const lines = this.#data;
    const event = this.#event || 'message';
    this.#data = [];
    const overflow = this.#overflow || this.#dataChars > this.maxChars + 1;
    this.#dataChars = 0;
    this.#overflow = false;
    this.#event = '';
    const ownId = this.#ownId;
    this.#ownId = false;
    // No data line, no event (an id it set stays); `data:` alone is an event with empty data.
    if (lines.length === 0) return;
    // Over the bound: one character past it, whatever was kept, so the frame reader refuses it.
    const data = overflow ? lines.join('\n').slice(0, this.maxChars + 1).padEnd(this.maxChars + 1) : lines.join('\n');
    this.sink.message({ event, data, id: this.#id, ownId });
  }
}
