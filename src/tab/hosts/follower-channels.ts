import type { LeaderBroker, LeaderChannel, LeaderDeps } from './leader-deps.ts';

/** A follower that joined and has not attached after this long (ms) is dropped, its channels closed. */
const attachWithinMs = 5000;

/**
 * The leader's channel pair per follower tab, served by its broker. A pair is
 * dropped once its tab left the broker (detached, or its lock released), and
 * when no attach followed the join within `attachWithinMs`: without that, the
 * map grew by a pair for every tab that ever joined. Checked on `sweep`.
 */
export class FollowerChannels {
  readonly #pairs = new Map<string, {
    channels: LeaderChannel[];
    joinedAt: number;
    /** The broker's tab of this id when the pair opened (an earlier attach): not ours. */
    before: object | undefined;
    /** The broker's tab attached over this pair, once it did. */
    tab: object | undefined;
  }>();
  readonly #name: string;
  readonly #local: LeaderBroker;
  readonly #deps: Pick<LeaderDeps, 'Channel' | 'clock'>;

  constructor(name: string, local: LeaderBroker, deps: Pick<LeaderDeps, 'Channel' | 'clock'>) {
    this.#name = name;
    this.#local = local;
    this.#deps = deps;
  }

  get size(): number {
    return this.#pairs.size;
  }

  /** Open `tab`'s pair and serve it; a tab joining again (it doubted us) gets a fresh one, as two of one name would answer twice. */
  open(tab: string): void {
    this.#drop(tab);
    const control = new this.#deps.Channel(`${this.#name}|ctl|${tab}`);
    const stream = new this.#deps.Channel(`${this.#name}|st|${tab}`);
    const before = this.#local.broker.tabs.get(tab);
    this.#pairs.set(tab, { channels: [control, stream], joinedAt: this.#deps.clock.monotonic(), before, tab: undefined });
    this.#local.broker.accept(control, stream);
  }

  /** Drop the pairs of tabs that left the broker, or that joined and never attached. */
  sweep(): void {
    const now = this.#deps.clock.monotonic();
    for (const [id, pair] of this.#pairs) {
      const current = this.#local.broker.tabs.get(id);
      if (pair.tab === undefined && current !== undefined && current !== pair.before) pair.tab = current;
      const gone = pair.tab !== undefined ? current !== pair.tab : now - pair.joinedAt >= attachWithinMs;
      if (gone) this.#drop(id);
    }
  }

  closeAll(): void {
    for (const id of [...this.#pairs.keys()]) this.#drop(id);
  }

  #drop(tab: string): void {
    for (const channel of this.#pairs.get(tab)?.channels ?? []) channel.close();
    this.#pairs.delete(tab);
  }
}
