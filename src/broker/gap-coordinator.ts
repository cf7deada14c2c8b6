/**
 * Gaps and what closes them (docs/architecture.md rule 14, "Sessions and time"):
 * after each handshake the log's namespace is opened for the session and the
 * pure gap machine (`core/resync.ts`) is fed; its effects are performed here —
 * the settle timer, the replay (through the events-since endpoint: `gap-replay.ts`),
 * one resync per tab. Also the catch-up of a tab that
 * re-attached after its broker died, and the wait of a `recent()` for a namespace.
 */
import type { BrokerConfig } from '../link/messages.ts';
import type { GapSnapshot } from '../link/debug.ts';
import type { BrokerCounters, Report } from './broker-stats.ts';
import type { ConnectionDriver } from './connection-driver.ts';
import { type GapEffect, type GapEvent, gapTransition, initialGapState, unplacedSince, unplacedUntil } from './core/resync.ts';
import type { GapReason } from '../link/states.ts';
import { type LastSeen, logHoldsFrom } from './core/log-policy.ts';
import type { EventLog } from './event-log.ts';
import type { Fanout } from './fanout.ts';
import { replayThroughEndpoint } from './gap-replay.ts';
import type { Ingest } from './ingest.ts';
import type { Clock } from '../link/clock.ts';
import { tenantOf } from './protocol/envelope.ts';
import type { BrokerSession } from './session.ts';
import type { Tab, TabRegistry } from './tabs.ts';
import { NamedTimers } from './timers.ts';
import type { TokenSource } from './token-source.ts';
import type { Protocol } from './protocol/wire.ts';

export interface GapParts {
  config: BrokerConfig;
  clock: Clock;
  /** Relative URLs (eventsSinceUrl) resolve against this. */
  baseUrl: string;
  fetch: typeof fetch;
  tabs: TabRegistry;
  fanout: Fanout;
  log: EventLog;
  session: BrokerSession;
  ingest: Ingest;
  driver: ConnectionDriver;
  tokens: TokenSource;
  /** The dialect: how replay authenticates and reads the endpoint's entries. */
  protocol: Protocol;
  counters: BrokerCounters;
  report: Report;
  /** @default `import('./replay.ts')` */
  loadReplay?: () => Promise<ReplayModule>;
  /** A stream the server resumes after the last event id it had (SSE with `resume`): its replay closes a gap. */
  resume?: StreamResume;
}

/** What a resumable stream says about the current connection. */
export interface StreamResume {
  /** An event id of this session is known to resume from. */
  hasLastEventId(): boolean;
  /** The current connection asked the server to resume from that id. */
  resumed(): boolean;
}

/** What the replay chunk exports. */
export type ReplayModule = Pick<typeof import('./replay.ts'), 'replayMissed'>;

type Emitted = Extract<GapEffect, { type: 'emit' }>['signal'];

export class GapCoordinator {
  #gap: GapSnapshot = initialGapState;
  /** Since when (ms) the log holds every event without a gap: what a late tab's catch-up can promise. */
  #coveredSince: number | undefined;
  /**
   * The next gap's coverage cannot be trusted: last-seen was clamped from the future, or events
   * came out of order by more than the replay overlap. That gap then says `complete: false`.
   */
  #coverageDoubt = false;
  #namespaceWaiters: Array<() => void> = [];
  /**
   * Tabs that re-attached (after their broker died) before this one's gap machine could judge:
   * before its first handshake, or while a session's namespace opened. `at`: the last event's
   * time each saw (ms), NaN when it saw none.
   */
  #reattached: Array<{ tab: Tab; at: number }> = [];
  /**
   * Re-attached tabs the open gap does not cover, with their own position (ms, NaN: unknown):
   * its resync tells them `complete: false`, from that position.
   */
  readonly #uncovered = new Map<Tab, number>();
  /**
   * The open gap can be closed by the stream resuming: it began on a live connection with an id to
   * resume from, and every connection since resumed from one. A gap from a stored last-seen cannot.
   */
  #resumable = false;
  readonly #timers: NamedTimers<'settle'>;

  readonly #parts: GapParts;

  constructor(parts: GapParts) {
    this.#parts = parts;
    this.#timers = new NamedTimers(parts.clock);
  }

  get state(): GapSnapshot {
    return this.#gap;
  }

  /**
   * Where a window told now ends, in server time: the server's clock as this broker knows it, or the
   * newest event it relayed where that is later. That clock is the handshake's stamp advanced on the
   * monotonic clock, so it lags the server's own by however long the handshake's answer took to be
   * read; a window ending there could end before events already relayed to other tabs (rule 14).
   */
  windowEnd(): number {
    return Math.max(this.#parts.session.serverNow(), this.#parts.log.lastSeen?.at ?? 0);
  }

  doubtCoverage(): void {
    this.#coverageDoubt = true;
  }

  stop(): void {
    this.#timers.clearAll();
  }

  /** The connection was lost (not ended): a gap starts at the server's now. */
  lost(reason: GapReason): void {
    if (this.#gap.phase === 'live') this.#resumable = this.#parts.resume?.hasLastEventId() === true;
    this.dispatch({ type: 'lost', at: this.#parts.session.serverNow(), reason, lastSeenAt: this.#parts.log.lastSeen?.at ?? null });
  }

  /** Resolves true when the next handshake has opened the log's namespace, false after `waitMs`. */
  whenNamespaceOpen(waitMs: number): Promise<boolean> {
    const { clock } = this.#parts;
    return new Promise<boolean>((resolve) => {
      const wake = () => {
        clock.clearTimeout(timer);
        resolve(true);
      };
      const timer = clock.setTimeout(() => {
        const waiting = this.#namespaceWaiters.indexOf(wake);
        if (waiting >= 0) this.#namespaceWaiters.splice(waiting, 1);
        resolve(false);
      }, waitMs);
      this.#namespaceWaiters.push(wake);
    });
  }

  /** After a handshake: open the session's namespace, then tell the gap machine what it found. */
  async prepareNamespace(generation: number): Promise<void> {
    const { log, session, driver, ingest, config } = this.#parts;
    const ns = session.namespace();
    const previous = log.namespace;
    const opened = await log.open(ns);
    if (generation !== driver.generation) return;
    const stored = this.#clampStored(opened);
    if (previous !== ns) {
      if (stored) for (const key of await log.keysSince(stored.at - config.replayOverlapMs)) ingest.remember(key);
      if (generation !== driver.generation) return;
    }
    const reattached = this.#reattached.splice(0).filter(({ tab }) => tab.alive);
    this.#adoptReplayFloor(opened, reattached.length > 0);
    for (const wake of this.#namespaceWaiters.splice(0)) wake();
    if (session.openedAt !== undefined) log.markConnected(session.openedAt);
    log.keepReplayFloor(session.replayFloor);
    // Server time, like the event timestamps the gap is measured against: a browser clock running
    // ahead must not move the start of a gap past events the server sent in it. Without one from
    // the handshake, the browser's clock is only told, never replayed from (`guessed`).
    const at = session.openedAt ?? session.serverNow();
    const guessed = session.openedAt === undefined ? { guessed: true as const } : {};
    if (previous !== undefined && previous !== ns) {
      // Another user or tenant on this endpoint: every tab refetches; the old gap is not theirs.
      this.dispatch({ type: 'session-changed', at, ...guessed });
      ingest.releaseHeld();
      return;
    }
    // A connection that did not resume breaks the chain: what was sent before it came nowhere.
    if (this.#parts.resume?.resumed() !== true) this.#resumable = false;
    // A broker before this one served these tabs: with nothing stored (the log off, no IndexedDB),
    // what they last saw is where this broker's gap starts.
    const storedLastSeenAt = stored?.at ?? this.#earliestKnown(reattached) ?? null;
    this.dispatch({ type: 'opened', at, ...guessed, storedLastSeenAt, replay: Boolean(config.eventsSinceUrl) || this.#resumable });
    // Without a replay in flight, live events flow now.
    if (this.#gap.phase !== 'settling' || this.#gap.replay !== 'pending') ingest.releaseHeld();
    for (const { tab, at: position } of reattached) void this.#catchUpFrom(tab, position);
  }

  /**
   * Nothing stored: a first session in this browser, or one after a logout wiped the log (seen by
   * this broker or one before it), and nothing before its start was this session's — unless tabs
   * re-attached from a broker before this one, whose session it is (its log was off or lost).
   */
  #adoptReplayFloor(opened: LastSeen | null, reattached: boolean): void {
    const { session } = this.#parts;
    if (opened?.floor !== undefined) session.adoptReplayFloor(opened.floor);
    else if (!opened && !reattached) session.adoptReplayFloor(session.openedAt ?? 'pending');
  }

  /** The earliest position (ms) a re-attached tab can vouch for: its last event's own time, not stamped in the future. */
  #earliestKnown(reattached: Array<{ at: number }>): number | undefined {
    const known = reattached.map(({ at }) => at).filter((at) => this.#knownPosition(at));
    return known.length > 0 ? Math.min(...known) : undefined;
  }

  #knownPosition(at: number): boolean {
    return !Number.isNaN(at) && !this.#parts.session.inFuture(at);
  }

  /**
   * A stored last-seen past the server's clock (written by an older version, or a clock gone wrong),
   * or one the log could not use (not a finite instant), is clamped to this session's start: the gap
   * from there says `complete: false`.
   */
  #clampStored(stored: LastSeen | null): LastSeen | null {
    const { session, log } = this.#parts;
    const unknown = stored === null && log.storedLastSeenUnusable;
    if (!unknown && (!stored || !session.inFuture(stored.at))) return stored;
    this.#coverageDoubt = true;
    log.clampLastSeen(session.openedAt ?? session.serverNow());
    return log.lastSeen;
  }

  dispatch(event: GapEvent): void {
    // Gap bounds are the server's time, like the timestamps they are compared with.
    const { state, effects } = gapTransition(this.#gap, event, this.windowEnd());
    const wasFresh = this.#gap.phase === 'fresh';
    const wasOpen = this.#gap.phase === 'gap' || this.#gap.phase === 'settling';
    this.#gap = state;
    // What a broker that replaces this one must still see as missed: the stored last-seen waits at
    // the gap's start (none is stored for a start that is only the browser's guess).
    const open = state.phase === 'gap' || state.phase === 'settling';
    this.#parts.log.holdStoredLastSeen(open ? (state.sinceGuessed ? 'unknown' : state.since) : undefined);
    // A gap that opens (lost live, or a restart found one): every tab hears where it began.
    if (open && !wasOpen) this.#tellOpenGap([...this.#parts.tabs.all()]);
    if (event.type === 'reset') {
      // Logged out: where re-attached tabs were belongs to the session that ended.
      this.#reattached = [];
      this.#uncovered.clear();
    }
    if (state.phase === 'fresh') this.#coveredSince = undefined;
    // A first connection with nothing stored before it: the record starts here, whole.
    else if (wasFresh && state.phase === 'live' && !state.guessed) this.#coveredSince = state.openedAt;
    for (const effect of effects) this.#perform(effect);
  }

  #perform(effect: GapEffect): void {
    switch (effect.type) {
      case 'start-settle-timer':
        return this.#timers.set('settle', this.#parts.config.resyncSettleMs, () => this.dispatch({ type: 'settled' }));
      case 'cancel-settle-timer':
        return this.#timers.clear('settle');
      case 'start-replay':
        return void this.#replay(effect.since, this.#parts.driver.generation);
      case 'emit':
        return this.#emit(effect.signal);
    }
  }

  /**
   * Tell `tabs` where the open gap began, so that one re-attaching to another broker before its
   * resync resumes from there (the stored last-seen does this where there is a log; rule 4).
   */
  #tellOpenGap(tabs: Tab[]): void {
    const gap = this.#gap;
    if (gap.phase !== 'gap' && gap.phase !== 'settling') return;
    this.#parts.fanout.flush();
    const since = new Date(gap.sinceGuessed ? unplacedSince : gap.since).toISOString();
    for (const tab of tabs) tab.post({ k: 'gap', s: since });
  }

  /** A tab attached: while a gap is open, it hears where it began. */
  attached(tab: Tab): void {
    this.#tellOpenGap([tab]);
  }

  #emit(signal: Emitted): void {
    // Events delivered before the signal must reach tabs before it.
    this.#parts.fanout.flush();
    this.#parts.counters.resyncs++;
    this.#coverageDoubt = false;
    // A gap the replay did not cover breaks the record: it is whole only from its end on (when that is the server's time).
    const untilKnown = this.#parts.session.serverClockKnown ? signal.until : undefined;
    this.#coveredSince = signal.complete ? (this.#coveredSince ?? signal.since) : untilKnown;
    // An incomplete gap closed before the server's clock is known cannot be placed: the window says so.
    const until = new Date(signal.complete || untilKnown !== undefined ? signal.until : unplacedUntil).toISOString();
    const uncovered = new Map(this.#uncovered);
    this.#uncovered.clear();
    // Each tab is told what it was sent: a tab that came after the replay went out got none of it.
    for (const tab of this.#parts.tabs.all()) {
      const replayed = signal.replayed > 0 ? tab.replayedSinceSignal : 0;
      tab.replayedSinceSignal = 0;
      // A re-attached tab from before the gap's start, whose stretch before it the log does not hold.
      const own = uncovered.get(tab);
      // A tab that saw no event cannot say where its stretch began: its window is not placed.
      const since = own === undefined ? signal.since : Number.isNaN(own) ? unplacedSince : Math.min(own, signal.since);
      // A tab whose replayed batches were dropped (it stopped reading) has not got them.
      const complete = signal.complete && own === undefined && !tab.behind;
      tab.post({ k: 'rs', s: { ...signal, since: new Date(since).toISOString(), until, replayed, complete } });
    }
  }

  /**
   * A tab that lost its broker and re-attached here may have missed what this broker relayed
   * before it came, or what nobody relayed: it is sent what the log holds since its last event
   * (`since`, ISO; undefined when it saw none), and told once whether that covers it. Before this
   * broker's gap machine can judge (no handshake yet, or a namespace opening) it waits, and its
   * position counts for the broker's own gap (`prepareNamespace`).
   */
  async catchUp(tab: Tab, since: string | undefined): Promise<void> {
    const { log, session } = this.#parts;
    const at = since === undefined ? Number.NaN : Date.parse(since);
    if (this.#gap.phase === 'fresh' || log.namespace === undefined || log.namespace !== session.namespace()) {
      this.#reattached.push({ tab, at });
      return;
    }
    await this.#catchUpFrom(tab, at);
  }

  async #catchUpFrom(tab: Tab, at: number): Promise<void> {
    const { log, session, config, fanout } = this.#parts;
    // No usable instant (the tab saw no event, or its last one was stamped in the future): nothing
    // can be promised from the log; the tab is told to refetch.
    const known = this.#knownPosition(at);
    const epoch = session.epoch;
    const kept = known ? await log.recent({ limit: config.logMaxEvents }) : [];
    if (!tab.alive || epoch !== session.epoch || log.namespace !== session.namespace()) return;
    // From its millisecond on: events sharing the last one's count too; the tab drops the one it has.
    const missed = kept.filter((event) => event.at >= at);
    fanout.sendReplayed(
      missed.map((event) => ({ text: JSON.stringify(event.envelope), type: event.envelope.type, tenant: tenantOf(event.envelope) })),
      tab,
    );
    const fromLog = known && logHoldsFrom(kept, at, config.logMaxEvents) && this.#recordWholeFrom(at);
    const gap = this.#gap;
    if (gap.phase === 'gap' || gap.phase === 'settling') {
      // The broker's own resync tells this tab once the gap is over: a replay still to come reaches it.
      const replayAhead = gap.phase === 'gap' || gap.replay === 'pending';
      const byGap = known && !gap.sinceGuessed && at >= gap.since && replayAhead;
      if (!fromLog && !byGap) this.#uncovered.set(tab, known ? at : Number.NaN);
      return;
    }
    if (gap.phase !== 'live') return;
    const replayed = tab.replayedSinceSignal;
    tab.replayedSinceSignal = 0;
    const until = new Date(fromLog || session.serverClockKnown ? this.windowEnd() : unplacedUntil).toISOString();
    const sinceIso = new Date(known ? at : unplacedSince).toISOString();
    tab.post({ k: 'rs', s: { since: sinceIso, until, reason: 'reconnect', replayed, complete: fromLog } });
  }

  /**
   * Whether this broker's record has no hole after `at` (ms): it was whole from before it, or it
   * is a restarted broker's first gap, whose log up to that gap's start the one before it wrote.
   */
  #recordWholeFrom(at: number): boolean {
    if (this.#coveredSince !== undefined) return this.#coveredSince <= at;
    const gap = this.#gap;
    return (gap.phase === 'gap' || gap.phase === 'settling') && gap.reason === 'restart' && !gap.sinceGuessed;
  }

  /**
   * The server replays what followed the last event id on the resumed stream itself: those events
   * arrive as live ones, and the gap is covered without the events-since endpoint.
   */
  async #resumedByStream(generation: number): Promise<void> {
    await Promise.resolve();
    if (generation !== this.#parts.driver.generation) return;
    this.#parts.ingest.releaseHeld();
    this.dispatch({ type: 'replay-finished', ok: true, count: 0, complete: !this.#coverageDoubt });
  }

  /** Replay a gap: the resumed stream did (SSE with `resume`), or the events-since endpoint (gap-replay.ts). */
  async #replay(since: number, generation: number): Promise<void> {
    if (this.#resumable) return this.#resumedByStream(generation);
    await replayThroughEndpoint(this.#parts, since, generation, (ok, count, complete) =>
      this.dispatch({ type: 'replay-finished', ok, count, complete: complete && !this.#coverageDoubt }),
    );
  }
}
