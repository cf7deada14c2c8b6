/**
 * Gaps and what closes them (docs/architecture.md rule 14, "Sessions and time"):
 * after each handshake the log's namespace is opened for the session and the
 * pure gap machine (`core/resync.ts`) is fed; its effects are performed here —
 * the settle timer, the replay through the events-since endpoint (`replay.ts`,
 * loaded on demand), one resync per tab. Also the catch-up of a tab that
 * re-attached after its broker died, and the wait of a `recent()` for a namespace.
 */
import type { BrokerConfig } from '../link/messages.ts';
import type { BrokerCounters, Report } from './broker-stats.ts';
import type { ConnectionDriver } from './connection-driver.ts';
import { type GapEffect, type GapEvent, type GapState, gapTransition, initialGapState } from './core/resync.ts';
import type { GapReason } from '../link/states.ts';
import type { LastSeen } from './core/log-policy.ts';
import type { EventLog } from './event-log.ts';
import type { Fanout } from './fanout.ts';
import type { Ingest } from './ingest.ts';
import type { Clock } from './ports.ts';
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
}

type Emitted = Extract<GapEffect, { type: 'emit' }>['signal'];

export class GapCoordinator {
  #gap: GapState = initialGapState;
  /** Since when (ms) the log holds every event without a gap: what a late tab's catch-up can promise. */
  #coveredSince: number | undefined;
  /**
   * The next gap's coverage cannot be trusted: last-seen was clamped from the future, or events
   * came out of order by more than the replay overlap. That gap then says `complete: false`.
   */
  #coverageDoubt = false;
  #namespaceWaiters: Array<() => void> = [];
  readonly #timers: NamedTimers<'settle'>;

  readonly #parts: GapParts;

  constructor(parts: GapParts) {
    this.#parts = parts;
    this.#timers = new NamedTimers(parts.clock);
  }

  get state(): GapState {
    return this.#gap;
  }

  doubtCoverage(): void {
    this.#coverageDoubt = true;
  }

  stop(): void {
    this.#timers.clearAll();
  }

  /** The connection was lost (not ended): a gap starts at the server's now. */
  lost(reason: GapReason): void {
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
    // Nothing stored: a first session in this browser, or one after a logout wiped the log (seen by
    // this broker or one before it). Either way nothing before its start was this session's.
    const floor = opened ? opened.floor : session.openedAt;
    if (floor !== undefined) session.adoptReplayFloor(floor);
    for (const wake of this.#namespaceWaiters.splice(0)) wake();
    log.markConnected(session.openedAt);
    log.keepReplayFloor(session.replayFloor);
    if (previous !== undefined && previous !== ns) {
      // Another user or tenant on this endpoint: every tab refetches; the old gap is not theirs.
      this.dispatch({ type: 'session-changed', at: session.openedAt });
      ingest.releaseHeld();
      return;
    }
    this.dispatch({
      type: 'opened',
      // Server time, like the event timestamps the gap is measured against: a browser clock
      // running ahead must not move the start of a gap past events the server sent in it.
      at: session.openedAt,
      storedLastSeenAt: stored?.at ?? null,
      replay: Boolean(config.eventsSinceUrl),
    });
    // Without a replay in flight, live events flow now.
    if (this.#gap.phase !== 'settling' || this.#gap.replay !== 'pending') ingest.releaseHeld();
  }

  /** A stored last-seen past the server's clock (written by an older version, or a clock gone wrong) is clamped. */
  #clampStored(stored: LastSeen | null): LastSeen | null {
    const { session, log } = this.#parts;
    if (!stored || !session.inFuture(stored.at)) return stored;
    this.#coverageDoubt = true;
    log.clampLastSeen(session.openedAt);
    return log.lastSeen;
  }

  dispatch(event: GapEvent): void {
    // Gap bounds are the server's time, like the timestamps they are compared with.
    const { state, effects } = gapTransition(this.#gap, event, this.#parts.session.serverNow());
    const wasFresh = this.#gap.phase === 'fresh';
    this.#gap = state;
    // What a broker that replaces this one must still see as missed: the stored last-seen waits at the gap's start.
    this.#parts.log.holdStoredLastSeen(state.phase === 'gap' || state.phase === 'settling' ? state.since : undefined);
    if (state.phase === 'fresh') this.#coveredSince = undefined;
    // A first connection with nothing stored before it: the record starts here, whole.
    else if (wasFresh && state.phase === 'live') this.#coveredSince = state.openedAt;
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

  #emit(signal: Emitted): void {
    // Events delivered before the signal must reach tabs before it.
    this.#parts.fanout.flush();
    this.#parts.counters.resyncs++;
    this.#coverageDoubt = false;
    // A gap the replay did not cover breaks the record: it is whole only from its end on.
    this.#coveredSince = signal.complete ? (this.#coveredSince ?? signal.since) : signal.until;
    const since = new Date(signal.since).toISOString();
    const until = new Date(signal.until).toISOString();
    // Each tab is told what it was sent: a tab that came after the replay went out got none of it.
    for (const tab of this.#parts.tabs.all()) {
      const replayed = signal.replayed > 0 ? tab.replayedSinceSignal : 0;
      tab.replayedSinceSignal = 0;
      tab.post({ k: 'rs', s: { ...signal, since, until, replayed } });
    }
  }

  /**
   * A tab that lost its broker and re-attached here may have missed what this
   * broker relayed before it came: send it what the log holds since its last
   * event, and a resync of its own. A broker still without a session (just
   * started) skips this: its own gap handling will reach this tab anyway.
   */
  async catchUp(tab: Tab, since: string | undefined): Promise<void> {
    const { log, session, config, fanout } = this.#parts;
    const at = since === undefined ? Number.NaN : Date.parse(since);
    if (log.namespace === undefined || log.namespace !== session.namespace()) return;
    // No usable instant (the tab saw no event, or its last one was stamped in the future): nothing can be
    // promised from the log; the tab is told to refetch.
    const known = !Number.isNaN(at) && !session.inFuture(at);
    const epoch = session.epoch;
    // From just before: events sharing the last one's millisecond count too; the tab drops the one it has.
    const missed = known ? await log.recent({ since: new Date(at - 1).toISOString(), limit: config.logMaxEvents }) : [];
    if (!tab.alive || epoch !== session.epoch || log.namespace !== session.namespace()) return;
    fanout.sendReplayed(
      missed.map((event) => ({ text: JSON.stringify(event.envelope), type: event.envelope.type, tenant: tenantOf(event.envelope) })),
      tab,
    );
    // In a gap, the broker's own resync will tell this tab once it is over.
    if (this.#gap.phase !== 'live') return;
    const covered = known && this.#coveredSince !== undefined && this.#coveredSince <= at;
    const replayed = tab.replayedSinceSignal;
    tab.replayedSinceSignal = 0;
    const until = new Date(session.serverNow()).toISOString();
    tab.post({ k: 'rs', s: { since: known ? since! : until, until, reason: 'reconnect', replayed, complete: covered } });
  }

  /** Replay a gap through the events-since endpoint; the code is loaded on demand (replay.ts). */
  async #replay(since: number, generation: number): Promise<void> {
    const { config, session, driver, tokens, log, ingest, fanout, counters } = this.#parts;
    const { replayMissed } = await import('./replay.ts');
    const notBefore = session.replayFloor;
    await replayMissed(
      {
        config,
        baseUrl: this.#parts.baseUrl,
        fetch: this.#parts.fetch,
        clock: this.#parts.clock,
        tenantId: () => session.tenantId,
        ...(notBefore !== undefined ? { notBefore } : {}),
        current: () => generation === driver.generation,
        token: () => tokens.getToken(),
        cookie: this.#parts.protocol.auth === 'cookie',
        ...(this.#parts.protocol.read ? { read: this.#parts.protocol.read } : {}),
        refresh: () => tokens.refresh(),
        known: async (from) => new Set(await log.keysSince(from)),
        // Checked here, remembered only once delivered: a failed attempt leaves its events to the next.
        admit: (envelope, at) => {
          const event = ingest.admit(envelope, at, undefined);
          return event && !ingest.seen(event.key) ? event : undefined;
        },
        deliver: (gathered) => {
          const missed = gathered.filter((event) => ingest.remember(event.key));
          fanout.sendReplayed(missed.map((event) => ({ text: event.text, type: event.envelope.type, tenant: event.tenant })));
          for (const event of missed) ingest.record(event);
          counters.replayed += missed.length;
          counters.eventsRelayed += missed.length;
          return missed.length;
        },
        release: () => ingest.releaseHeld(),
        finished: (ok, count, complete) => this.dispatch({ type: 'replay-finished', ok, count, complete: complete && !this.#coverageDoubt }),
        report: this.#parts.report,
      },
      since,
    );
  }
}
