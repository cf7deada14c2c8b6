/**
 * (b) One plain WebSocket per tab: what an app does without tabwire. A fair,
 * minimal client: docs/protocol.md's handshake, JSON parse and dispatch per message,
 * the same jittered backoff as tabwire, and after a reconnect its own REST
 * refetch (GET /api/events?since=…) — one per tab.
 */
import type { BenchEvent, ClientContext } from './client.ts';

export class PlainSocket {
  #socket: WebSocket | undefined;
  #state = 'idle';
  #attempt = 0;
  #resyncs = 0;
  #lastSeen: string | undefined;
  #everOpen = false;

  constructor(
    private readonly context: ClientContext,
    /** Raw frames, for a relay (the peer client); defaults to parsing and dispatching here. */
    private readonly onFrame: (text: string) => void = (text) => this.dispatch(text),
    private readonly onState: (state: string) => void = () => {},
  ) {}

  state(): string {
    return this.#state;
  }

  resyncs(): number {
    return this.#resyncs;
  }

  start(): Promise<void> {
    this.#connect();
    return new Promise((resolve) => {
      const check = setInterval(() => {
        if (this.#state !== 'open') return;
        clearInterval(check);
        resolve();
      }, 10);
    });
  }

  dispatch(text: string): void {
    const event = JSON.parse(text) as BenchEvent;
    this.#lastSeen = event.timestamp;
    this.context.handler(event);
  }

  #set(state: string): void {
    this.#state = state;
    this.onState(state);
  }

  #connect(): void {
    this.#set('connecting');
    const socket = new WebSocket(this.context.wsUrl);
    this.#socket = socket;
    socket.onopen = async () => socket.send(JSON.stringify({ action: 'auth', token: await this.context.token() }));
    socket.onmessage = (message) => {
      const text = message.data as string;
      if (this.#state !== 'open') {
        const frame = JSON.parse(text) as BenchEvent;
        if (frame.type !== 'auth.success') return;
        this.#attempt = 0;
        this.#set('open');
        if (this.#everOpen) void this.#refetch();
        this.#everOpen = true;
        return;
      }
      this.onFrame(text);
    };
    socket.onclose = () => {
      if (this.#socket !== socket) return;
      this.#set('backoff');
      const ceiling = Math.min(this.context.maxDelayMs, this.context.minDelayMs * 2 ** this.#attempt++);
      setTimeout(() => this.#connect(), Math.min(this.context.maxDelayMs, this.context.minDelayMs + Math.random() * ceiling));
    };
  }

  /** What each tab has to do without a shared log: ask the server what it missed. */
  async #refetch(): Promise<void> {
    const since = this.#lastSeen ?? new Date(Date.now() - 60_000).toISOString();
    const response = await fetch(`${this.context.httpUrl}/api/events?since=${encodeURIComponent(since)}`, {
      headers: { Authorization: `Bearer ${await this.context.token()}`, 'X-Tenant-Id': this.context.tenantId },
    });
    const missed = (await response.json()) as BenchEvent[];
    // Newer than what was seen before the gap (not than what this loop delivers: several share a millisecond).
    for (const event of missed) if (event.timestamp > since) this.onFrame(JSON.stringify({ ...event, replayed: true }));
    this.#resyncs++;
  }
}
