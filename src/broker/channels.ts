/**
 * The channels the browser holds: one server subscription per distinct channel (by its canonical
 * key, link/channels.ts), whichever tabs hold it. The dialect is asked to subscribe once when the
 * first tab holds a channel on an open connection (or on acceptance, for every held one), and to
 * unsubscribe `lingerMs` after the last tab let go (a reload does not churn). Messages, states
 * and per-channel resyncs go only to the tabs holding that channel. Each channel keeps its
 * position (from its messages and answers), to resubscribe from after a gap.
 */
import { type ChannelPosition, type ChannelSpec, type HeldChannel, channelKey } from '../link/channels.ts';
import { type TabwireErrorData, errorData } from '../link/errors.ts';
import type { Clock } from '../link/clock.ts';
import type { ChannelFanout } from './channel-fanout.ts';
import { gapOutcome, rejoinCovered, resumeFrom } from './core/channel-gap.ts';
import type { ChannelAnswer } from './dialect-ingest.ts';
import type { DialectLink } from './dialect-link.ts';
import type { HeldOnSocket } from './protocol/channel-dialect.ts';
import { serverCodeForTabs, serverMessageForTabs } from './protocol/server-text.ts';
import type { Tab } from './tabs.ts';

interface Held {
  key: string;
  /** The dialect's key for this channel: short, unique while it is held. */
  wireKey: string;
  spec: ChannelSpec;
  tabs: Set<Tab>;
  position: ChannelPosition | undefined;
  /** Subscribed on the current socket, answered or not. */
  sent: boolean;
  answered: boolean;
  /** The socket dropped after it was subscribed: its tabs are owed one resync. */
  gap: boolean;
  /**
   * Its last gap closed incomplete and no message came since: its position is where the resume
   * began, not a point the channel here has everything after.
   */
  incomplete?: boolean;
  /** Tabs that re-attached to it from where the resume here does not cover: owed `complete: false`. */
  owed: Set<Tab>;
  linger: unknown;
}

export interface ChannelParts {
  /** Undefined when the dialect has no channel seam: `channel()` is then UNSUPPORTED. */
  link: DialectLink | undefined;
  recovers: boolean;
  clock: Clock;
  fanout: ChannelFanout;
  /** The connection is open (accepted): subscriptions go out now. */
  open: () => boolean;
  lingerMs: number;
  maxFrameBytes: number;
}

export class ChannelRegistry {
  readonly #byKey = new Map<string, Held>();
  readonly #byWireKey = new Map<string, Held>();
  #nextWireKey = 1;
  readonly #parts: ChannelParts;

  constructor(parts: ChannelParts) {
    this.#parts = parts;
  }

  /** Keys held, for `debug()` and the tests. */
  get keys(): string[] {
    return [...this.#byKey.keys()];
  }

  /** The channels some tab holds, by the dialect's keys, with the positions they resume from. */
  heldNow(): HeldOnSocket[] {
    const held: HeldOnSocket[] = [];
    for (const { wireKey, spec, position, tabs } of this.#byKey.values()) {
      if (tabs.size > 0) held.push({ key: wireKey, channel: spec, ...(position ? { from: position } : {}) });
    }
    return held;
  }

  /** `tab` holds `spec` (from `from` when the channel is new here); returns its key. `owed`: `tab` is owed `complete: false`. */
  hold(tab: Tab, spec: HeldChannel, owed = false): string {
    if (!this.#parts.link) throw errorData('UNSUPPORTED', "channels need a dialect with a channel seam (a ChannelProtocol in the worker's entry or pageProtocol)");
    const key = channelKey(spec, this.#parts.maxFrameBytes);
    let held = this.#byKey.get(key);
    if (!held) {
      held = { key, wireKey: `c${this.#nextWireKey++}`, spec: { name: spec.name, ...(spec.params !== undefined ? { params: spec.params } : {}) }, tabs: new Set(), position: spec.from, sent: false, answered: false, gap: spec.from !== undefined, owed: new Set(), linger: undefined };
      this.#byKey.set(key, held);
      this.#byWireKey.set(held.wireKey, held);
    }
    if (held.linger !== undefined) this.#parts.clock.clearTimeout(held.linger);
    held.linger = undefined;
    held.tabs.add(tab);
    if (owed) held.owed.add(tab);
    if (!held.sent && this.#parts.open()) {
      const refusal = this.#subscribe(held);
      // The dialect refused the params: this call fails with it, the channel's other tabs are told.
      if (refusal) {
        held.tabs.delete(tab);
        held.owed.delete(tab);
        this.#refused(held, refusal);
        throw refusal;
      }
    } else if (held.answered) tab.post({ k: 'cs', c: key, s: 'subscribed' });
    return key;
  }

  /**
   * A re-attaching tab holds `spec` again (a replaced worker). Its position is used only where it
   * creates the entry and it was not logged out (a position of a session that ended asks nothing of
   * the next); where the resume here does not cover what it saw, it is owed `complete: false`. A
   * refusal reaches it as the channel's error, as a `channel()` call of its own would.
   */
  rejoin(tab: Tab, spec: HeldChannel, loggedOut: boolean): void {
    const brought = loggedOut ? undefined : spec.from;
    let key: string | undefined;
    try {
      key = channelKey(spec, this.#parts.maxFrameBytes);
      const existing = this.#byKey.get(key);
      const covered = existing ? !existing.incomplete && rejoinCovered(brought, existing.position) : brought !== undefined;
      const held = this.#byKey.get(this.hold(tab, { ...spec, from: brought }, !covered))!;
      // Told once subscribed here; where nothing is replayed there is no answer to wait for (a
      // protocol that does not recover may answer only with the channel's next message).
      if (!covered && (held.answered || (held.sent && !this.#parts.recovers))) this.#tellOwed(held);
    } catch (error) {
      if (key !== undefined) this.#parts.fanout.post([tab], { k: 'cs', c: key, s: 'error', e: error as TabwireErrorData });
    }
  }

  /** `tab` lets go of `key`; the channel is unsubscribed `lingerMs` after its last tab did. */
  release(tab: Tab, key: string): void {
    const held = this.#byKey.get(key);
    if (!held?.tabs.delete(tab) || held.tabs.size > 0) return;
    held.linger = this.#parts.clock.setTimeout(() => {
      held.linger = undefined;
      if (held.tabs.size === 0) this.#drop(held, true);
    }, this.#parts.lingerMs);
  }

  /** A tab left or died: it lets go of everything it held. */
  tabGone(tab: Tab): void {
    for (const held of [...this.#byKey.values()]) if (held.tabs.has(tab)) this.release(tab, held.key);
  }

  /** The connection opened (accepted): every held channel is subscribed on it, from its position. */
  opened(): void {
    for (const held of this.#byKey.values()) {
      if (held.tabs.size === 0) {
        this.#drop(held, false);
        continue;
      }
      const refusal = this.#subscribe(held);
      if (refusal) this.#refused(held, refusal);
    }
  }

  /** The socket dropped: what was subscribed on it has a gap, told once it is answered again. */
  lost(): void {
    for (const held of this.#byKey.values()) {
      if (held.sent) held.gap = true;
      held.sent = false;
      held.answered = false;
    }
  }

  onAnswer(answer: ChannelAnswer): void {
    const held = this.#byWireKey.get(answer.key);
    if (!held) return;
    switch (answer.kind) {
      case 'channel-message':
        // A protocol without replay may never answer a subscribe (graphql-transport-ws): a message proves it was taken.
        if (!held.answered && !this.#parts.recovers) this.#subscribed(held, { kind: 'channel-subscribed', key: answer.key });
        if (answer.position) held.position = answer.position;
        held.incomplete = false;
        // Messages before the answer that closes a gap are the server's replay of it.
        this.#parts.fanout.enqueue(held.tabs, held.gap ? [held.key, answer.data, answer.position ?? null, 1] : [held.key, answer.data, answer.position ?? null]);
        return;
      case 'channel-subscribed':
        return this.#subscribed(held, answer);
      case 'channel-error': {
        const error = errorData('CHANNEL_ERROR', serverMessageForTabs(String(answer.message)), { serverCode: serverCodeForTabs(String(answer.code)) });
        this.#parts.fanout.post(held.tabs, { k: 'cs', c: held.key, s: 'error', e: error });
        return this.#drop(held, false);
      }
      case 'channel-complete':
        this.#parts.fanout.post(held.tabs, { k: 'cs', c: held.key, s: 'complete' });
        return this.#drop(held, false);
    }
  }

  /**
   * The session ended: no position of it is asked from again. Every held channel is subscribed
   * afresh under the next session, and its tabs are told `complete: false` then.
   */
  forget(): void {
    for (const held of this.#byKey.values()) {
      held.position = undefined;
      held.gap = true;
    }
  }

  /** Stop for good: lingers cleared (the socket closes with the broker). */
  stop(): void {
    for (const held of this.#byKey.values()) if (held.linger !== undefined) this.#parts.clock.clearTimeout(held.linger);
  }

  /** Subscribes on the current socket; the dialect's INVALID_ARGUMENT for the params, if it refused them. */
  #subscribe(held: Held): TabwireErrorData | undefined {
    const { link, recovers } = this.#parts;
    held.sent = true;
    held.answered = false;
    try {
      link!.subscribe(held.wireKey, held.spec, resumeFrom(recovers, held.position));
    } catch (error) {
      held.sent = false;
      return error as TabwireErrorData;
    }
    // A protocol that does not recover replays nothing: the gap is told at once.
    if (held.gap && gapOutcome(recovers, undefined) === false) this.#tellGap(held, false);
    else if (!recovers) this.#tellOwed(held);
    return undefined;
  }

  /** The dialect refused the channel's params: its tabs are told with its error, and it is forgotten. */
  #refused(held: Held, refusal: TabwireErrorData): void {
    if (held.tabs.size > 0) this.#parts.fanout.post(held.tabs, { k: 'cs', c: held.key, s: 'error', e: refusal });
    this.#drop(held, false);
  }

  #subscribed(held: Held, answer: Extract<ChannelAnswer, { kind: 'channel-subscribed' }>): void {
    if (answer.position) held.position = answer.position;
    held.answered = true;
    this.#parts.fanout.post(held.tabs, { k: 'cs', c: held.key, s: 'subscribed' });
    const complete = held.gap ? gapOutcome(this.#parts.recovers, answer) : undefined;
    if (complete !== undefined) this.#tellGap(held, complete);
    else this.#tellOwed(held);
  }

  /** The channel's gap closed: its owed tabs are told `false` whatever the server recovered. */
  #tellGap(held: Held, complete: boolean): void {
    held.gap = false;
    held.incomplete = !complete;
    const others = [...held.tabs].filter((tab) => !held.owed.has(tab));
    this.#tellOwed(held);
    this.#parts.fanout.post(others, { k: 'cr', c: held.key, s: { complete } });
  }

  #tellOwed(held: Held): void {
    const owed = [...held.owed].filter((tab) => held.tabs.has(tab));
    held.owed.clear();
    if (owed.length > 0) this.#parts.fanout.post(owed, { k: 'cr', c: held.key, s: { complete: false } });
  }

  /** Forget a channel; `unsubscribe`: tell the server (it still holds it). */
  #drop(held: Held, unsubscribe: boolean): void {
    if (this.#byKey.get(held.key) !== held) return;
    this.#byKey.delete(held.key);
    this.#byWireKey.delete(held.wireKey);
    if (held.linger !== undefined) this.#parts.clock.clearTimeout(held.linger);
    if (unsubscribe && held.sent && this.#parts.open()) this.#parts.link!.unsubscribe(held.wireKey, held.spec);
  }
}
