/**
 * `sharing: 'leader'` (docs/architecture.md, rule 9): where SharedWorker is missing, the
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
import type { BackendProtocol } from '../../broker/protocol/wire.ts';
import { TabwireError } from '../../link/errors.ts';
import { type ProtocolLoader, loadPageProtocol } from './page-protocol.ts';
import type { Host } from './host.ts';
import type { Clock, TimerHandle } from '../../link/clock.ts';
import { FollowerChannels } from './follower-channels.ts';
import { type LeaderChannel, type LeaderDeps, browserLeaderDeps } from './leader-deps.ts';


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

/**
 * A tab not taken by a leader in this long (ms) gives up: a host that never settles could never be
 * closed, and its timers and channels would outlive every retry.
 */
const joinWithinMs = 10_000;

/**
 * A leader's dialect in code (`pageProtocol`) not loaded in this long (ms) counts as failed: half
 * a tab's wait to join, so the lock goes to the next page, and this page's tabs hear why, while
 * the tabs waiting on it still wait.
 */
const loadWithinMs = joinWithinMs / 2;

/** A page whose last broker closed stops standing for leader after this long (ms): a tab re-attaching after its leader died keeps its place. */
const withdrawAfterMs = 1000;

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
 * A page whose dialect in code (`pageProtocol`) fails to load, or has not loaded within
 * `loadWithinMs`, withdraws at once: another page leads, and this page's tabs waiting to join are
 * told why.
 */
class Candidacy {
  readonly #name: string;
  readonly #buildId: string;
  readonly #deps: LeaderDeps;
  readonly #protocol: ProtocolLoader | undefined;
  /** This page's tabs waiting to join: told when the dialect failed to load. */
  readonly #joining = new Set<(error: unknown) => void>();
  #leading: { stop(): Promise<void> } | undefined;
  #queued = false;
  /** A request of ours holds the lock, or is stealing it: stealing (again) would take it from ourselves. */
  #holding = false;
  #stealing = false;
  #hosts = 0;
  #withdrawal: TimerHandle | undefined;
  readonly #stopped = new AbortController();

  constructor(name: string, buildId: string, deps: LeaderDeps, protocol: ProtocolLoader | undefined) {
    this.#name = name;
    this.#buildId = buildId;
    this.#deps = deps;
    this.#protocol = protocol;
    this.#queue();
  }

  /** Until the returned function is called, `fail` hears of a dialect that did not load here. */
  onFailure(fail: (error: unknown) => void): () => void {
    this.#joining.add(fail);
    return () => this.#joining.delete(fail);
  }

  retain(): void {
    this.#hosts++;
    this.#deps.clock.clearTimeout(this.#withdrawal);
  }

  release(): void {
    if (--this.#hosts > 0) return;
    this.#withdrawal = this.#deps.clock.setTimeout(() => this.#withdraw(), withdrawAfterMs);
  }

  #withdraw(): void {
    // A page that failed to load its dialect withdrew already; a new candidacy may stand under the name.
    if (candidaciesOf(this.#deps).get(this.#name) === this) candidaciesOf(this.#deps).delete(this.#name);
    this.#stopped.abort();
    void this.#leading?.stop();
    this.#leading = undefined;
  }

  /** Take over from a leader that stopped answering. */
  steal(): void {
    if (this.#leading || this.#holding || this.#stealing || this.#stopped.signal.aborted) return;
    this.#stealing = true;
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
    const lease = { lost: false, granted: false };
    this.#deps.locks
      .request(`${this.#name}|leader`, withdrawable, () => {
        if (options.steal) this.#stealing = false;
        else this.#queued = false;
        if (this.#stopped.signal.aborted) return;
        lease.granted = this.#holding = true;
        return this.#lead(lease);
      })
      .then(
        () => {
          if (lease.granted) this.#holding = false;
        },
        // Rejected: someone stole the lock from us while we led (we were frozen). Stand down, queue again.
        () => {
          if (lease.granted) this.#holding = false;
          lease.lost = true;
          void this.#standDown();
        },
      );
  }

  /** Runs while this page holds the leader lock; settles only when leadership ends. */
  async #lead(lease: { lost: boolean }): Promise<void> {
    let protocol: BackendProtocol | undefined;
    try {
      protocol = await loadPageProtocol(this.#protocol, { clock: this.#deps.clock, ms: loadWithinMs });
    } catch (error) {
      // Never a broker with another dialect than the app's: the lock goes (returning releases it).
      this.#withdraw();
      for (const fail of this.#joining) fail(error);
      return;
    }
    const local = this.#deps.startBroker(this.#buildId, protocol);
    await local.ready;
    // The lock was stolen, or the candidacy withdrawn, while the broker started: there is nothing
    // to stand down yet, so this broker would lead without the lock, a second socket (two followers
    // that stole together under load).
    if (lease.lost || this.#stopped.signal.aborted) return local.stop();
    const hello = new this.#deps.Channel(`${this.#name}|hello`);
    const followers = new FollowerChannels(this.#name, local, this.#deps);
    const here = () => hello.postMessage({ k: 'here', id: local.brokerId } satisfies Hello);
    hello.addEventListener('message', (event: MessageEvent<Hello>) => {
      const message = event.data;
      if (message.k === 'probe') return here();
      if (message.k !== 'join') return;
      followers.open(message.tab);
      hello.postMessage({ k: 'joined', tab: message.tab, id: local.brokerId } satisfies Hello);
    });
    here();
    const stopBeating = every(this.#deps.clock, heartbeatMs, () => {
      here();
      followers.sweep();
    });
    return new Promise<void>((resolve) => {
      this.#leading = {
        async stop() {
          stopBeating();
          hello.close();
          followers.closeAll();
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
 * One tab's side: find the leader, join it, and watch that it lives. The watch
 * runs from the start, so a tab that opens while the leader is frozen (it
 * answers nothing, not even the join) takes over like one that followed it.
 * Every timer and channel it opens, `close` ends.
 */
class Follower {
  readonly hello: LeaderChannel;
  readonly control: LeaderChannel;
  readonly stream: LeaderChannel;
  /** Settles once a leader opened this tab's channels, or rejects when none will. */
  readonly joined: Promise<void>;
  /** Resolves when the leader is found dead other than by its lock (frozen, replaced). */
  readonly lost: Promise<void>;
  readonly #tabId: string;
  readonly #deps: LeaderDeps;
  /** This page's candidacy for the name, if it stands: the one to steal with. */
  readonly #candidacy: () => Candidacy | undefined;
  #leader: string | undefined;
  /** Asked this leader to join, at this time: once per leader, again only if it never answered. */
  #joining: { id: string; at: number } | undefined;
  #lastHeard: number;
  /** Another leader spoke: ours is gone, and it is not ours to steal any more. */
  #replaced = false;
  #suspecting = false;
  #closed = false;
  readonly #timers = new Set<TimerHandle>();
  readonly #stopTicking: Array<() => void> = [];
  #markJoined: () => void = () => {};
  #failJoin: (error: Error) => void = () => {};
  #markLost: () => void = () => {};

  constructor(name: string, tabId: string, deps: LeaderDeps, candidacy: () => Candidacy | undefined) {
    this.#tabId = tabId;
    this.#deps = deps;
    this.#candidacy = candidacy;
    this.#lastHeard = deps.clock.monotonic();
    this.joined = new Promise<void>((resolve, reject) => {
      this.#markJoined = resolve;
      this.#failJoin = reject;
    });
    this.lost = new Promise<void>((resolve) => (this.#markLost = resolve));
    this.hello = new deps.Channel(`${name}|hello`);
    this.control = new deps.Channel(`${name}|ctl|${tabId}`);
    this.stream = new deps.Channel(`${name}|st|${tabId}`);
    this.hello.addEventListener('message', (event: MessageEvent<Hello>) => this.#onHello(event.data));
    this.#say({ k: 'probe' });
    // Until a leader answers (the first candidate may still be starting), ask again.
    const stopAsking = every(deps.clock, askEveryMs, () => this.#leader === undefined && this.#say({ k: 'probe' }));
    this.#stopTicking.push(stopAsking, every(deps.clock, heartbeatMs, () => this.#suspect()));
    const giveUp = this.#after(joinWithinMs, () => {
      this.#failJoin(new TabwireError({ code: 'TIMEOUT', message: `no leader tab took this tab within ${joinWithinMs} ms` }));
    });
    void this.joined.then(() => {
      stopAsking();
      this.#cancel(giveUp);
    }, () => {});
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const stop of this.#stopTicking) stop();
    for (const timer of this.#timers) this.#deps.clock.clearTimeout(timer);
    this.#timers.clear();
    this.hello.close();
    this.control.close();
    this.stream.close();
    this.#failJoin(new TabwireError({ code: 'CLOSED', message: 'closed before a leader tab took this tab' }));
  }

  #onHello(message: Hello): void {
    const now = this.#deps.clock.monotonic();
    if (message.k === 'joined') {
      if (message.tab !== this.#tabId || this.#leader !== undefined) return;
      this.#leader = message.id;
      this.#lastHeard = now;
      this.#markJoined();
    } else if (message.k === 'here') {
      if (this.#leader === undefined) {
        // A leader that speaks is alive, though it has not taken us yet.
        this.#lastHeard = now;
        if (this.#joining?.id === message.id && now - this.#joining.at < rejoinAfterMs) return;
        this.#joining = { id: message.id, at: now };
        this.#say({ k: 'join', tab: this.#tabId });
      } else if (message.id === this.#leader) this.#lastHeard = now;
      else {
        // Another leader speaks: ours was replaced (it was frozen and someone took over).
        this.#replaced = true;
        this.#markLost();
      }
    }
  }

  /** On each heartbeat: after a silence, probe once, and take over when that goes unanswered too. */
  #suspect(): void {
    const { clock } = this.#deps;
    if (this.#replaced || this.#suspecting || clock.monotonic() - this.#lastHeard < suspectAfterMs) return;
    this.#suspecting = true;
    const askedAt = clock.monotonic();
    // A little jitter, so followers that suspect together do not all steal.
    this.#after(this.#deps.random() * jitterMs, () => {
      if (this.#lastHeard >= askedAt) return void (this.#suspecting = false);
      this.#say({ k: 'probe' });
      this.#after(probeTimeoutMs, () => {
        this.#suspecting = false;
        if (this.#replaced || this.#lastHeard >= askedAt) return;
        this.#takeOver();
      });
    });
  }

  /** Nobody answers: steal the lead where this page stands for it; otherwise the leader is lost, or was never found. */
  #takeOver(): void {
    const candidacy = this.#candidacy();
    if (candidacy) candidacy.steal();
    else if (this.#leader !== undefined) this.#markLost();
    else this.#failJoin(new TabwireError({ code: 'WORKER_LOST', message: 'no leader tab answered' }));
  }

  #after(ms: number, callback: () => void): TimerHandle {
    const timer = this.#deps.clock.setTimeout(() => {
      this.#timers.delete(timer);
      callback();
    }, ms);
    this.#timers.add(timer);
    return timer;
  }

  #cancel(timer: TimerHandle): void {
    this.#deps.clock.clearTimeout(timer);
    this.#timers.delete(timer);
  }

  #say(message: Hello): void {
    this.hello.postMessage(message);
  }
}

/**
 * Join the leader of `name` (see `hostName`), standing as a candidate when this
 * page runs that build's code (`buildId`); a tab that moved to a newer build's
 * leader only follows, and fails with WORKER_LOST when no leader answers.
 * `protocol`: the dialect in code a broker this page leads starts with (the first
 * of the page's tabs to stand gives it), loaded only when it leads; a tab of a page
 * whose dialect failed to load (or not within `loadWithinMs`) fails with the loader's error.
 */
export async function leaderHost(
  name: string,
  tabId: string,
  buildId: string | undefined,
  deps: LeaderDeps = browserLeaderDeps(),
  protocol?: ProtocolLoader,
): Promise<Host> {
  const candidacies = candidaciesOf(deps);
  let candidacy: Candidacy | undefined;
  if (buildId !== undefined) {
    candidacy = candidacies.get(name) ?? new Candidacy(name, buildId, deps, protocol);
    candidacies.set(name, candidacy);
    candidacy.retain();
  }
  const follower = new Follower(name, tabId, deps, () => candidacies.get(name));
  let closed = false;
  const close = () => {
    if (closed) return;
    closed = true;
    follower.close();
    candidacy?.release();
  };
  let stopHearing = () => {};
  try {
    await new Promise<void>((joined, failed) => {
      stopHearing = candidacy?.onFailure(failed) ?? stopHearing;
      follower.joined.then(joined, failed);
    });
  } catch (error) {
    close();
    throw error;
  } finally {
    stopHearing();
  }
  return { control: follower.control, stream: follower.stream, lost: follower.lost, close };
}
