/**
 * One `EventSource` per tab on the mock's Server-Sent Events stream: what an app does without
 * tabwire. The token in the `access_token` parameter (the stream's GET carries no header), JSON
 * parse and dispatch per event, the browser's own reconnects. Over HTTP/1.1 a browser opens at most
 * six connections per host: from the seventh tab on, the stream and every other request of the page
 * to that host wait, so such a tab never starts.
 */
import type { BenchEvent, ClientContext } from './client.ts';

export class PerTabEventSource {
  #state = 'idle';

  constructor(private readonly context: ClientContext) {}

  state(): string {
    return this.#state;
  }

  /** The browser reconnects by itself and this client asks nothing after: no resyncs to count. */
  resyncs(): number {
    return 0;
  }

  async start(): Promise<void> {
    this.#state = 'connecting';
    const token = await this.context.token();
    const source = new EventSource(`${this.context.httpUrl}/sse?${new URLSearchParams({ access_token: token })}`);
    source.onmessage = (message) => {
      const event = JSON.parse(message.data as string) as BenchEvent;
      if (event.type !== 'auth.success') this.context.handler(event);
    };
    source.onerror = () => (this.#state = source.readyState === EventSource.CLOSED ? 'closed' : 'backoff');
    await new Promise<void>((resolve) => {
      source.onopen = () => {
        this.#state = 'open';
        resolve();
      };
    });
  }
}
