/**
 * What the broker counts and tells about itself: the counters behind `stats()`,
 * the recent transitions behind `debug()`, and errors told to tabs at a bounded
 * rate, so a flood of bad frames never becomes a flood of messages to every tab.
 */
import type { TabwireErrorData } from '../link/errors.ts';
import type { BrokerStats, Session } from '../link/stats.ts';
import type { ConnectionStatus, TransitionReason } from '../link/states.ts';
import type { ConnectionState } from './core/connection.ts';
import type { EventLog } from './event-log.ts';
import type { FanoutCounters } from './fanout.ts';
import type { Clock } from '../link/clock.ts';
import type { TabRegistry } from './tabs.ts';

export type BrokerCounters = ReturnType<typeof newCounters>;

export function newCounters() {
  return {
    socketsOpened: 0,
    handshakes: 0,
    reconnects: 0,
    framesReceived: 0,
    eventsReceived: 0,
    eventsRelayed: 0,
    duplicates: 0,
    replayed: 0,
    resyncs: 0,
    pings: 0,
    sent: 0,
    dropped: { malformed: 0, oversized: 0, tooDeep: 0, invalid: 0, tenant: 0, early: 0, volatile: 0, dialect: 0 },
  };
}

/** Tells every tab of an error. */
export type Report = (error: TabwireErrorData) => void;

/** Tell every tab, at most 5 times per second per code; stats count every occurrence. */
export function rateLimitedReport(clock: Clock, tabs: TabRegistry): Report {
  const reportedAt = new Map<string, { start: number; count: number }>();
  return (error) => {
    const now = clock.monotonic();
    const window = reportedAt.get(error.code);
    if (!window || now - window.start >= 1000) reportedAt.set(error.code, { start: now, count: 1 });
    else if (++window.count > 5) return;
    tabs.broadcast({ k: 'er', e: error });
  };
}

export interface Transition {
  at: number;
  from: ConnectionStatus;
  to: ConnectionStatus;
  reason: TransitionReason;
}

/** The last 50 transitions, for `debug()`. */
export class TransitionHistory {
  readonly #entries: Transition[] = [];

  add(entry: Transition): void {
    this.#entries.push(entry);
    if (this.#entries.length > 50) this.#entries.shift();
  }

  list(): Transition[] {
    return this.#entries.slice();
  }
}

/** Everything `stats()` reads; the parts that exist only once a tab configured the broker may be missing. */
export interface StatsSource {
  brokerId: string;
  buildId: string;
  connection: ConnectionState;
  tabs: number;
  counters: BrokerCounters;
  fanout: FanoutCounters;
  log: EventLog | undefined;
  outbox: number;
  /** Read after the log's count, like the uptime: the session as it is when the answer is made. */
  session: () => Session | undefined;
  uptimeMs: () => number;
}

export async function brokerStats(source: StatsSource): Promise<BrokerStats> {
  const { log, counters, fanout } = source;
  const status = log?.status() ?? { status: 'ok' as const, written: 0, refused: 0 };
  const lastSeen = log?.lastSeen;
  return {
    brokerId: source.brokerId,
    buildId: source.buildId,
    state: source.connection.status,
    reason: source.connection.reason,
    tabs: source.tabs,
    ...counters,
    dropped: { ...counters.dropped, slowTab: fanout.slowTab },
    deliveries: fanout.deliveries,
    batches: fanout.batches,
    deliveryFailures: fanout.failures,
    lastSeen: lastSeen && Number.isFinite(lastSeen.at) ? new Date(lastSeen.at).toISOString() : null,
    outbox: source.outbox,
    log: { ...status, size: log ? await log.count() : 0 },
    session: source.session() ?? null,
    uptimeMs: source.uptimeMs(),
  };
}
