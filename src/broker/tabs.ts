/**
 * The tabs attached to this broker: their stream port, subscriptions and
 * liveness. Liveness comes from Web Locks (docs/architecture.md, rule 7): each tab holds a
 * lock for its lifetime and the broker queues for it, so the broker learns of a
 * tab's death within ~100 ms without polling. MessagePort has no close event.
 */
import { PatternSet } from './core/pattern-set.ts';
import type { TabwireErrorData } from '../link/errors.ts';
import { type StreamMessage, type TabAck, type TabAnswer, streamAckEvery } from '../link/messages.ts';
import type { Endpoint } from '../link/rpc.ts';
import type { Clock } from '../link/clock.ts';
import { TabBacklog, defaultTabBacklogBatches, defaultTabStallMs } from './tab-backlog.ts';

/** What the broker asks of Web Locks; Node tests pass a fake. */
export interface LockRequester {
  /** Resolves `onGranted` once the lock named `name` is free (its holder released it or died). */
  waitFor(name: string, onGranted: () => void): void;
}

export const webLocks: LockRequester = {
  waitFor(name, onGranted) {
    // The callback returns at once, releasing the lock: we only wanted to know it was free.
    // Without Web Locks (plain http) the broker runs in the tab's own page and dies with it: nothing to wait on.
    navigator.locks?.request(name, () => onGranted()).catch(() => onGranted());
  },
};

/**
 * A tab's answer: a token; `rejected` (the app's function threw: the user is logged out, or the
 * refresh was refused); `cannot` (this tab has no token or no refreshToken to offer: ask another);
 * or no answer at all.
 */
export type AskResult =
  | { ok: true; token?: string }
  | { ok: false; why: 'rejected'; error: TabwireErrorData }
  | { ok: false; why: 'cannot' | 'timeout' | 'gone' };

export class Tab {
  readonly patterns = new PatternSet();
  visible: boolean;
  activeAt: number;
  /** Replayed events this tab was sent since its last resync signal: the `replayed` its next one carries. */
  replayedSinceSignal = 0;
  /** It left by its `close()`: what it queued was refused to the app there, so it does not go (see `TabCalls.removeTab`). */
  closedByApp = false;
  #nextAsk = 1;
  readonly #asks = new Map<number, (result: AskResult) => void>();
  #gone = false;
  readonly #onStream = (event: MessageEvent) => {
    const answer = event.data as TabAnswer | TabAck | null;
    if (answer?.k === 'ack') return this.#acked(answer.n);
    if (!answer || answer.k !== 'ans') return;
    const settle = this.#asks.get(answer.id);
    if (!settle) return;
    this.#asks.delete(answer.id);
    if (answer.ok) settle({ ok: true, token: answer.token });
    else settle(answer.n === 1 ? { ok: false, why: 'cannot' } : { ok: false, why: 'rejected', error: answer.e });
  };

  readonly #stream: Endpoint;
  /** Closes the tab's control channel once it is gone. */
  readonly #closeControl: () => void;
  readonly #backlog: TabBacklog;
  /** Channels whose messages were dropped while the tab did not read: each owed one `complete: false`. */
  readonly #channelsBehind = new Set<string>();
  /** The server's clock now, ISO: when a tab that fell behind is told so. */
  readonly #serverNow: () => string;
  /** The broker's monotonic clock (ms): how long a tab has acknowledged nothing. */
  readonly #monotonic: () => number;

  constructor(
    readonly id: string,
    stream: Endpoint,
    readonly tenantId: string | undefined,
    visible: boolean,
    now: number,
    closeControl: () => void = () => {},
    streamOptions: { backlogBatches?: number; stallMs?: number; serverNow?: () => string; monotonic?: () => number } = {},
  ) {
    this.#stream = stream;
    this.#closeControl = closeControl;
    // At least two acknowledgements' worth: a tab acknowledging every `streamAckEvery` must never stall.
    const bound = Math.max(streamOptions.backlogBatches ?? defaultTabBacklogBatches, 2 * streamAckEvery);
    this.#backlog = new TabBacklog(bound, streamOptions.stallMs ?? defaultTabStallMs);
    this.#monotonic = streamOptions.monotonic ?? (() => performance.now());
    this.#serverNow = streamOptions.serverNow ?? (() => new Date().toISOString());
    this.visible = visible;
    this.activeAt = now;
    stream.addEventListener('message', this.#onStream);
    stream.start?.();
  }

  get alive(): boolean {
    return !this.#gone;
  }

  /** Batches are being dropped for this tab until it reads again (it will be told `complete: false`). */
  get behind(): boolean {
    return this.#backlog.behind;
  }

  post(message: StreamMessage): void {
    if (this.#gone) return;
    try {
      this.#stream.postMessage(message);
    } catch {
      // A port whose other end is gone can throw in some browsers; liveness will remove the tab.
    }
  }

  /**
   * Post a batch of events, unless this tab stalled with `TabBacklog.bound` batches unread (or left
   * the hard bound unread): then it is dropped (false), and the tab is told once it reads again. `firstTimestamp`: read only then.
   */
  postBatch(message: StreamMessage, firstTimestamp: () => string): boolean {
    if (this.#gone || !this.#backlog.admit(firstTimestamp, this.#monotonic())) return false;
    this.post(message);
    return true;
  }

  /**
   * Post a batch of channel messages within the same bound as event batches; false: dropped, and
   * each of its channels is told `complete: false` at the tab's next acknowledgement.
   */
  postChannelBatch(message: StreamMessage, keys: Iterable<string>): boolean {
    if (this.#gone) return false;
    if (this.#backlog.admit(undefined, this.#monotonic())) {
      this.post(message);
      return true;
    }
    for (const key of keys) this.#channelsBehind.add(key);
    return false;
  }

  #acked(count: unknown): void {
    if (typeof count !== 'number' || !(count >= 0)) return;
    const signal = this.#backlog.acked(count, this.#serverNow(), this.#monotonic());
    if (signal) this.post({ k: 'rs', s: signal });
    for (const key of this.#channelsBehind) this.post({ k: 'cr', c: key, s: { complete: false } });
    this.#channelsBehind.clear();
  }

  /** Ask this tab to run the app's getToken/refreshToken; settles on answer, timeout or death. */
  ask(fn: 'getToken' | 'refreshToken', timeoutMs: number, clock: Clock): Promise<AskResult> {
    if (this.#gone) return Promise.resolve({ ok: false, why: 'gone' });
    const id = this.#nextAsk++;
    return new Promise((resolve) => {
      const timer = clock.setTimeout(() => {
        this.#asks.delete(id);
        resolve({ ok: false, why: 'timeout' });
      }, timeoutMs);
      this.#asks.set(id, (result) => {
        clock.clearTimeout(timer);
        resolve(result);
      });
      this.post({ k: 'ask', id, fn });
    });
  }

  /** The tab is gone: settle what it was asked, stop listening. */
  dispose(): void {
    if (this.#gone) return;
    this.#gone = true;
    this.#stream.removeEventListener('message', this.#onStream);
    for (const settle of this.#asks.values()) settle({ ok: false, why: 'gone' });
    this.#asks.clear();
    this.patterns.clear();
    (this.#stream as Partial<MessagePort>).close?.();
    this.#closeControl();
  }
}

export class TabRegistry {
  readonly #tabs = new Map<string, Tab>();

  add(tab: Tab): void {
    this.#tabs.get(tab.id)?.dispose();
    this.#tabs.set(tab.id, tab);
  }

  /** Removes and disposes the tab; returns false when it was not there (already removed). */
  remove(id: string): boolean {
    const tab = this.#tabs.get(id);
    if (!tab) return false;
    this.#tabs.delete(id);
    tab.dispose();
    return true;
  }

  get(id: string): Tab | undefined {
    return this.#tabs.get(id);
  }

  all(): IterableIterator<Tab> {
    return this.#tabs.values();
  }

  get size(): number {
    return this.#tabs.size;
  }

  /** Who to ask for a token first: visible tabs, then the most recently active. */
  byPreference(): Tab[] {
    return [...this.#tabs.values()].sort((a, b) => Number(b.visible) - Number(a.visible) || b.activeAt - a.activeAt);
  }

  broadcast(message: StreamMessage): void {
    for (const tab of this.#tabs.values()) tab.post(message);
  }
}
