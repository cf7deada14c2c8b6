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
import { TabwireError } from '../../link/errors.ts';
import type { ProtocolLoader } from './page-protocol.ts';
import type { Host } from './host.ts';
import type { TimerHandle } from '../../link/clock.ts';
import { type LeaderChannel, type LeaderDeps, browserLeaderDeps } from './leader-deps.ts';
import { Candidacy, candidaciesOf } from './leader-candidacy.ts';
import { type Hello, askEveryMs, every, heartbeatMs, jitterMs, joinWithinMs, probeTimeoutMs, rejoinAfterMs, suspectAfterMs } from './leader-hello.ts';


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
