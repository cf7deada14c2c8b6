/**
 * A leader-election peer from npm, for reference: `broadcast-channel`'s
 * createLeaderElection picks one tab; that tab holds a plain socket (as in (b))
 * and relays every frame to the others over its BroadcastChannel. This is how
 * teams share a socket today without a SharedWorker.
 */
import { BroadcastChannel, createLeaderElection } from 'broadcast-channel';
import type { BenchClient, ClientContext } from './client.ts';
import { PlainSocket } from './plain-socket.ts';

type Relay = { frame: string } | { state: string } | { resynced: true } | { ask: true };

export class PeerRelay implements BenchClient {
  #state = 'idle';
  #resyncs = 0;
  #channel: BroadcastChannel<Relay>;
  #decoder: PlainSocket;
  #leading: PlainSocket | undefined;

  constructor(private readonly context: ClientContext) {
    this.#channel = new BroadcastChannel<Relay>(`bench-peer|${context.wsUrl}`);
    // Followers parse and dispatch what the leader relays, like the leader does with its own.
    this.#decoder = new PlainSocket(context);
  }

  state(): string {
    return this.#state;
  }

  resyncs(): number {
    return this.#resyncs;
  }

  async start(): Promise<void> {
    this.#channel.onmessage = (message) => {
      if ('frame' in message) this.#decoder.dispatch(message.frame);
      else if ('state' in message) this.#state = message.state;
      else if ('ask' in message) {
        if (this.#leading) void this.#channel.postMessage({ state: this.#leading.state() });
      } else this.#resyncs++;
    };
    const elector = createLeaderElection(this.#channel);
    void elector.awaitLeadership().then(() => {
      let resyncsSeen = 0;
      const socket = new PlainSocket(
        this.context,
        (frame) => {
          void this.#channel.postMessage({ frame });
          this.#decoder.dispatch(frame);
        },
        (state) => {
          this.#state = state;
          void this.#channel.postMessage({ state });
        },
      );
      // Tell followers when the leader's refetch after a reconnect is done.
      setInterval(() => {
        if (socket.resyncs() === resyncsSeen) return;
        resyncsSeen = socket.resyncs();
        this.#resyncs++;
        void this.#channel.postMessage({ resynced: true });
      }, 20);
      this.#leading = socket;
      void socket.start();
    });
    await new Promise<void>((resolve) => {
      let ticks = 0;
      const check = setInterval(() => {
        // A tab that came after the leader opened asks for its state.
        if (this.#state !== 'open') return void (ticks++ % 25 === 0 && this.#channel.postMessage({ ask: true }));
        clearInterval(check);
        resolve();
      }, 20);
    });
  }
}
