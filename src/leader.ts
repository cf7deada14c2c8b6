/**
 * `sharing: 'leader'` (DESIGN.md rule 9): where SharedWorker is missing, the
 * tabs elect one leader with a Web Lock; the leader runs the same broker as the
 * worker, in the page, and serves every tab over a pair of BroadcastChannels of
 * its own; the others talk to it exactly as they would to the worker.
 *
 * A leader that closes releases its locks: the next candidate in the lock's
 * queue takes over at once, and followers notice through the broker lock like a
 * dead worker. A frozen leader (a background tab the browser froze) keeps its
 * locks, so it also says `here` every 250 ms; a follower that hears nothing for
 * 750 ms probes, and without an answer steals the lock and leads. Loaded on demand.
 */
import { type BrowserBroker, startBrowserBroker } from '../worker/browser-broker.ts';
import type { Host } from './host.ts';

type Hello =
  /** The leader: on start, every heartbeat, and in answer to a probe. */
  | { k: 'here'; id: string }
  /** Anyone: is a leader there? */
  | { k: 'probe' }
  /** A tab: open my channels. */
  | { k: 'join'; tab: string }
  /** The leader: your channels are open. */
  | { k: 'joined'; tab: string; id: string };

const heartbeatMs = 250;
/** Silence after which a follower suspects the leader is frozen, in ms. */
const suspectAfterMs = 750;
/** How long a suspected leader has to answer a probe, in ms. */
const probeTimeoutMs = 250;

/** A page whose last broker closed stops standing for leader after this long (ms): a tab re-attaching after its leader died keeps its place. */
const withdrawAfterMs = 1000;

/**
 * This page's candidacy for leading one endpoint of one build, shared by the
 * page's brokers (`retain`/`release`): when the last of them closes, the page
 * stops leading and leaves the queue, so a closed broker holds no socket.
 */
class Candidacy {
  readonly #name: string;
  readonly #buildId: string;
  #leading: { stop(): Promise<void> } | undefined;
  #queued = false;
  #hosts = 0;
  #withdrawal: ReturnType<typeof setTimeout> | undefined;
  readonly #stopped = new AbortController();

  constructor(name: string, buildId: string) {
    this.#name = name;
    this.#buildId = buildId;
    this.#queue();
  }

  retain(): void {
    this.#hosts++;
    clearTimeout(this.#withdrawal);
  }

  release(): void {
    if (--this.#hosts > 0) return;
    this.#withdrawal = setTimeout(() => {
      candidacies.delete(this.#name);
      this.#stopped.abort();
      void this.#leading?.stop();
      this.#leading = undefined;
    }, withdrawAfterMs);
  }

  /** Take over from a leader that stopped answering. */
  steal(): void {
    if (this.#leading || this.#stopped.signal.aborted) return;
    this.#request({ steal: true });
  }

  #queue(): void {
    if (this.#queued || this.#stopped.signal.aborted) return;
    this.#queued = true;
    this.#request({});
  }

  #request(options: LockOptions): void {
    // A queued request is withdrawn with the candidacy (a stealing one cannot carry a signal, and is not queued).
    const withdrawable: LockOptions = options.steal ? options : { ...options, signal: this.#stopped.signal };
    const lease = { lost: false };
    navigator.locks
      .request(`${this.#name}|leader`, withdrawable, () => {
        if (this.#stopped.signal.aborted) return;
        if (!options.steal) this.#queued = false;
        return this.#lead(lease);
      })
      // Rejected: someone stole the lock from us while we led (we were frozen). Stand down, queue again.
      .catch(() => {
        lease.lost = true;
        void this.#standDown();
      });
  }

  /** Runs while this page holds the leader lock; settles only when leadership ends. */
  async #lead(lease: { lost: boolean }): Promise<void> {
    const local: BrowserBroker = startBrowserBroker({ buildId: this.#buildId, mode: 'leader' }, location.href);
    await local.ready;
    // The lock was stolen, or the candidacy withdrawn, while the broker started: there is nothing
    // to stand down yet, so this broker would lead without the lock, a second socket (two followers
    // that stole together under load).
    if (lease.lost || this.#stopped.signal.aborted) return local.stop();
    const hello = new BroadcastChannel(`${this.#name}|hello`);
    const channels = new Map<string, BroadcastChannel[]>();
    const here = () => hello.postMessage({ k: 'here', id: local.brokerId } satisfies Hello);
    hello.onmessage = (event: MessageEvent<Hello>) => {
      const message = event.data;
      if (message.k === 'probe') return here();
      if (message.k !== 'join') return;
      // A tab joining again (it doubted us) gets fresh channels; two of one name would answer twice.
      for (const channel of channels.get(message.tab) ?? []) channel.close();
      const control = new BroadcastChannel(`${this.#name}|ctl|${message.tab}`);
      const stream = new BroadcastChannel(`${this.#name}|st|${message.tab}`);
      channels.set(message.tab, [control, stream]);
      local.broker.accept(control, stream);
      hello.postMessage({ k: 'joined', tab: message.tab, id: local.brokerId } satisfies Hello);
    };
    here();
    const beat = setInterval(here, heartbeatMs);
    return new Promise<void>((resolve) => {
      this.#leading = {
        async stop() {
          clearInterval(beat);
          hello.close();
          for (const pair of channels.values()) for (const channel of pair) channel.close();
          await local.stop();
          resolve();
        },
      };
    });
  }

  async #standDown(): Promise<void> {
    const leading = this.#leading;
    this.#leading = undefined;
    await leading?.stop();
    this.#queue();
  }
}

const candidacies = new Map<string, Candidacy>();

/**
 * Join the leader of `name` (see `hostName`), standing as a candidate when this
 * page runs that build's code (`buildId`); a tab that moved to a newer build's
 * leader only follows.
 */
export async function leaderHost(name: string, tabId: string, buildId: string | undefined): Promise<Host> {
  let candidacy: Candidacy | undefined;
  if (buildId !== undefined) {
    candidacy = candidacies.get(name) ?? new Candidacy(name, buildId);
    candidacies.set(name, candidacy);
    candidacy.retain();
  }
  const hello = new BroadcastChannel(`${name}|hello`);
  const control = new BroadcastChannel(`${name}|ctl|${tabId}`);
  const stream = new BroadcastChannel(`${name}|st|${tabId}`);
  let leader: string | undefined;
  /** Asked this leader to join, at this time: once per leader, again only if it never answered. */
  let joining: { id: string; at: number } | undefined;
  let lastHeard = Date.now();
  /** Another leader spoke: ours is gone, and it is not ours to steal any more. */
  let replaced = false;
  let markLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  const joined = new Promise<void>((resolve) => {
    hello.onmessage = (event: MessageEvent<Hello>) => {
      const message = event.data;
      if (message.k === 'joined' && message.tab === tabId && leader === undefined) {
        leader = message.id;
        lastHeard = Date.now();
        resolve();
      } else if (message.k === 'here') {
        if (leader === undefined) {
          // A second join would make the leader replace channels an attach may already be using.
          if (joining?.id === message.id && Date.now() - joining.at < 1000) return;
          joining = { id: message.id, at: Date.now() };
          hello.postMessage({ k: 'join', tab: tabId } satisfies Hello);
        } else if (message.id === leader) lastHeard = Date.now();
        else {
          // Another leader speaks: ours was replaced (it was frozen and someone took over).
          replaced = true;
          markLost();
        }
      }
    };
  });
  hello.postMessage({ k: 'probe' } satisfies Hello);
  // Until a leader answers (the first candidate may still be starting), ask again.
  const ask = setInterval(() => leader === undefined && hello.postMessage({ k: 'probe' } satisfies Hello), 500);
  let closed = false;
  let watch: ReturnType<typeof setInterval> | undefined;
  const close = () => {
    if (closed) return;
    closed = true;
    clearInterval(watch);
    clearInterval(ask);
    hello.close();
    control.close();
    stream.close();
    candidacy?.release();
  };
  await joined;
  clearInterval(ask);
  let suspecting = false;
  watch = setInterval(() => {
    if (replaced || suspecting || Date.now() - lastHeard < suspectAfterMs) return;
    suspecting = true;
    const askedAt = Date.now();
    // A little jitter, so followers that suspect together do not all steal.
    setTimeout(() => {
      if (lastHeard >= askedAt) return void (suspecting = false);
      hello.postMessage({ k: 'probe' } satisfies Hello);
      setTimeout(() => {
        suspecting = false;
        if (replaced || lastHeard >= askedAt) return;
        const candidacy = candidacies.get(name);
        if (candidacy) candidacy.steal();
        else markLost();
      }, probeTimeoutMs);
    }, Math.random() * 150);
  }, heartbeatMs);
  return { control, stream, lost, close };
}
