/**
 * A page's candidacy for leading, under `sharing: 'leader'`: it queues for the leader lock, and
 * while it holds it runs the broker (with the app's dialect in code, `pageProtocol`, when given),
 * says `here` every heartbeat and opens a channel pair for each tab that joins (leader.ts).
 */
import type { BackendProtocol } from '../../broker/protocol/wire.ts';
import type { TimerHandle } from '../../link/clock.ts';
import { type ProtocolLoader, loadPageProtocol } from './page-protocol.ts';
import { FollowerChannels } from './follower-channels.ts';
import type { LeaderDeps } from './leader-deps.ts';
import { type Hello, every, heartbeatMs, joinWithinMs } from './leader-hello.ts';

/**
 * A leader's dialect in code (`pageProtocol`) not loaded in this long (ms) counts as failed: half
 * a tab's wait to join, so the lock goes to the next page, and this page's tabs hear why, while
 * the tabs waiting on it still wait.
 */
const loadWithinMs = joinWithinMs / 2;

/** A page whose last broker closed stops standing for leader after this long (ms): a tab re-attaching after its leader died keeps its place. */
const withdrawAfterMs = 1000;

/** Each page's candidacies by name; a page is one `LeaderDeps` (the browser's: this page). */
const candidaciesByPage = new WeakMap<LeaderDeps, Map<string, Candidacy>>();

export function candidaciesOf(deps: LeaderDeps): Map<string, Candidacy> {
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
export class Candidacy {
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

