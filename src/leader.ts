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
 *
 * Locks, channels, time and the broker come in `LeaderDeps`: the browser's by
 * default, fakes in Node tests. Durations are measured on the monotonic clock.
 */
import { type BrowserBroker, startBrowserBroker } from '../worker/browser-broker.ts';
import type { Host } from './host.ts';
import { type Clock, type TimerHandle, systemClock } from './ports.ts';
import type { Endpoint } from './rpc.ts';

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
/** Followers that suspect together spread their probes over this much (ms), so they do not all steal. */
const jitterMs = 150;
/** Until a leader answers (the first candidate may still be starting), a tab probes again this often, in ms. */
const askEveryMs = 500;
/** A leader asked to join is asked again only after this (ms): a second join would replace channels an attach may already be using. */
const rejoinAfterMs = 1000;

/** A page whose last broker closed stops standing for leader after this long (ms): a tab re-attaching after its leader died keeps its place. */
const withdrawAfterMs = 1000;

/** The slice of the Web Locks API the election uses. */
export interface LeaderLocks {
  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: () => Promise<void> | void): Promise<unknown>;
}

/** A BroadcastChannel, as far as the election uses one. */
export interface LeaderChannel extends Endpoint {
  close(): void;
}

/** The broker a leader runs (see `startBrowserBroker`). */
export interface LeaderBroker {
  brokerId: string;
  /** Resolves once the broker holds its own lock; serve no tab before. */
  ready: Promise<void>;
  broker: Pick<BrowserBroker['broker'], 'accept'>;
  stop(): Promise<void>;
}

/** What the election reaches for. */
export interface LeaderDeps {
  locks: LeaderLocks;
  Channel: new (name: string) => LeaderChannel;
  /** Every duration uses `monotonic()`: a wall clock set back must not stall a take-over. */
  clock: Clock;
  random: () => number;
  startBroker(buildId: string): LeaderBroker;
}

let browserDeps: LeaderDeps | undefined;

/** The browser's locks, channels and clock, and its broker; made on first use (globals read late). */
export function browserLeaderDeps(): LeaderDeps {
  return (browserDeps ??= {
    locks: { request: (name, options, callback) => navigator.locks.request(name, options, callback) },
    Channel: BroadcastChannel,
    clock: systemClock,
    random: () => Math.random(),
    startBroker: (buildId) => startBrowserBroker({ buildId, mode: 'leader' }, location.href),
  });
}

/** Call `tick` every `ms` on `clock` until the returned function is called. */
function every(clock: Clock, ms: number, tick: () => void): () => void {
  let handle: TimerHandle;
  let stopped = false;
  const schedule = () => {
    handle = clock.setTimeout(() => {
      if (stopped) return;
      schedule();
      tick();
    }, ms);
  };
  schedule();
  return () => {
    stopped = true;
    clock.clearTimeout(handle);
  };
}

/** Each page's candidacies by name; a page is one `LeaderDeps` (the browser's: this page). */
const candidaciesByPage = new WeakMap<LeaderDeps, Map<string, Candidacy>>();

function candidaciesOf(deps: LeaderDeps): Map<string, Candidacy> {
  let candidacies = candidaciesByPage.get(deps);
  if (!candidacies) candidaciesByPage.set(deps, (candidacies = new Map()));
  return candidacies;
}

/**
 * This page's candidacy for leading one endpoint of one build, shared by the
 * page's brokers (`retain`/`release`): when the last of them closes, the page
 * stops leading and leaves the queue, so a closed broker holds no socket.
 */
class Candidacy {
  readonly #name: string;
  readonly #buildId: string;
  readonly #deps: LeaderDeps;
  #leading: { stop(): Promise<void> } | undefined;
  #queued = false;
  #hosts = 0;
  #withdrawal: TimerHandle | undefined;
  readonly #stopped = new AbortController();

  constructor(name: string, buildId: string, deps: LeaderDeps) {
    this.#name = name;
    this.#buildId = buildId;
    this.#deps = deps;
    this.#queue();
  }

  retain(): void {
    this.#hosts++;
    this.#deps.clock.clearTimeout(this.#withdrawal);
  }

  release(): void {
    if (--this.#hosts > 0) return;
    this.#withdrawal = this.#deps.clock.setTimeout(() => {
      candidaciesOf(this.#deps).delete(this.#name);
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

  #request(options: { steal?: boolean }): void {
    // A queued request is withdrawn with the candidacy (a stealing one cannot carry a signal, and is not queued).
    const withdrawable = options.steal ? options : { ...options, signal: this.#stopped.signal };
    const lease = { lost: false };
    this.#deps.locks
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
    const local = this.#deps.startBroker(this.#buildId);
    await local.ready;
    // The lock was stolen, or the candidacy withdrawn, while the broker started: there is nothing
    // to stand down yet, so this broker would lead without the lock, a second socket (two followers
    // that stole together under load).
    if (lease.lost || this.#stopped.signal.aborted) return local.stop();
    const hello = new this.#deps.Channel(`${this.#name}|hello`);
    const channels = new Map<string, LeaderChannel[]>();
    const here = () => hello.postMessage({ k: 'here', id: local.brokerId } satisfies Hello);
    hello.addEventListener('message', (event: MessageEvent<Hello>) => {
      const message = event.data;
      if (message.k === 'probe') return here();
      if (message.k !== 'join') return;
      // A tab joining again (it doubted us) gets fresh channels; two of one name would answer twice.
      for (const channel of channels.get(message.tab) ?? []) channel.close();
      const control = new this.#deps.Channel(`${this.#name}|ctl|${message.tab}`);
      const stream = new this.#deps.Channel(`${this.#name}|st|${message.tab}`);
      channels.set(message.tab, [control, stream]);
      local.broker.accept(control, stream);
      hello.postMessage({ k: 'joined', tab: message.tab, id: local.brokerId } satisfies Hello);
    });
    here();
    const stopBeating = every(this.#deps.clock, heartbeatMs, here);
    return new Promise<void>((resolve) => {
      this.#leading = {
        async stop() {
          stopBeating();
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

/**
 * Join the leader of `name` (see `hostName`), standing as a candidate when this
 * page runs that build's code (`buildId`); a tab that moved to a newer build's
 * leader only follows.
 */
export async function leaderHost(name: string, tabId: string, buildId: string | undefined, deps: LeaderDeps = browserLeaderDeps()): Promise<Host> {
  const candidacies = candidaciesOf(deps);
  let candidacy: Candidacy | undefined;
  if (buildId !== undefined) {
    candidacy = candidacies.get(name) ?? new Candidacy(name, buildId, deps);
    candidacies.set(name, candidacy);
    candidacy.retain();
  }
  const { clock } = deps;
  const hello = new deps.Channel(`${name}|hello`);
  const control = new deps.Channel(`${name}|ctl|${tabId}`);
  const stream = new deps.Channel(`${name}|st|${tabId}`);
  const say = (message: Hello) => hello.postMessage(message);
  let leader: string | undefined;
  /** Asked this leader to join, at this time: once per leader, again only if it never answered. */
  let joining: { id: string; at: number } | undefined;
  let lastHeard = clock.monotonic();
  /** Another leader spoke: ours is gone, and it is not ours to steal any more. */
  let replaced = false;
  let markLost: () => void = () => {};
  const lost = new Promise<void>((resolve) => (markLost = resolve));
  const joined = new Promise<void>((resolve) => {
    hello.addEventListener('message', (event: MessageEvent<Hello>) => {
      const message = event.data;
      const now = clock.monotonic();
      if (message.k === 'joined' && message.tab === tabId && leader === undefined) {
        leader = message.id;
        lastHeard = now;
        resolve();
      } else if (message.k === 'here') {
        if (leader === undefined) {
          if (joining?.id === message.id && now - joining.at < rejoinAfterMs) return;
          joining = { id: message.id, at: now };
          say({ k: 'join', tab: tabId });
        } else if (message.id === leader) lastHeard = now;
        else {
          // Another leader speaks: ours was replaced (it was frozen and someone took over).
          replaced = true;
          markLost();
        }
      }
    });
  });
  say({ k: 'probe' });
  const stopAsking = every(clock, askEveryMs, () => leader === undefined && say({ k: 'probe' }));
  let closed = false;
  let stopWatching: () => void = () => {};
  const close = () => {
    if (closed) return;
    closed = true;
    stopWatching();
    stopAsking();
    hello.close();
    control.close();
    stream.close();
    candidacy?.release();
  };
  await joined;
  stopAsking();
  let suspecting = false;
  stopWatching = every(clock, heartbeatMs, () => {
    if (replaced || suspecting || clock.monotonic() - lastHeard < suspectAfterMs) return;
    suspecting = true;
    const askedAt = clock.monotonic();
    // A little jitter, so followers that suspect together do not all steal.
    clock.setTimeout(() => {
      if (lastHeard >= askedAt) return void (suspecting = false);
      say({ k: 'probe' });
      clock.setTimeout(() => {
        suspecting = false;
        if (replaced || lastHeard >= askedAt) return;
        const candidacy = candidacies.get(name);
        if (candidacy) candidacy.steal();
        else markLost();
      }, probeTimeoutMs);
    }, deps.random() * jitterMs);
  });
  return { control, stream, lost, close };
}
