/** A tab of the bare relay (see bare-relay.worker.ts): it hands its token to the worker and dispatches each batch. */
import type { BenchClient, BenchEvent, ClientContext } from './client.ts';

export class BareRelay implements BenchClient {
  #state = 'idle';

  constructor(private readonly context: ClientContext) {}

  state(): string {
    return this.#state;
  }

  /** The reference does not reconnect: it is measured for latency and CPU only. */
  resyncs(): number {
    return 0;
  }

  async start(): Promise<void> {
    const worker = new SharedWorker(new URL('./bare-relay.worker.ts', import.meta.url), { type: 'module', name: 'bench-bare-relay' });
    const opened = new Promise<void>((resolve) => {
      worker.port.onmessage = (message) => {
        const data = message.data as { state?: string; events?: BenchEvent[] };
        if (data.events) for (const event of data.events) this.context.handler(event);
        else if (data.state === 'open') {
          this.#state = 'open';
          resolve();
        }
      };
    });
    worker.port.postMessage({ wsUrl: this.context.wsUrl, token: await this.context.token() });
    await opened;
  }
}
