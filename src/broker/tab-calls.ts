/**
 * What a tab may ask of the broker over its control channel, once the broker
 * runs: attach (with the catch-up of a re-attaching tab), its signals (online,
 * visible), send, recent, and its leaving. The RPC that carries these calls is
 * `Broker.accept`; the checks that come before any config are `checkAttach`
 * and `subscribe`.
 */
import { appIdentity } from '../link/app-identity.ts';
import { errorData } from '../link/errors.ts';
import { type AttachReply, type AttachRequest, type BrokerConfig, linkVersion, recentSessionWaitMs } from '../link/messages.ts';
import { isValidPattern } from '../link/patterns.ts';
import { isLoggedOut } from '../link/states.ts';
import type { Endpoint } from '../link/rpc.ts';
import type { BrokerDeps } from './broker.ts';
import type { BrokerCounters } from './broker-stats.ts';
import type { BuildRadio } from './builds.ts';
import type { ConnectionDriver } from './connection-driver.ts';
import type { EventLog } from './event-log.ts';
import type { GapCoordinator } from './gap-coordinator.ts';
import type { Envelope } from '../link/envelope.ts';
import type { RecentQuery } from '../link/messages.ts';
import type { BrokerSession } from './session.ts';
import type { ChannelRegistry } from './channels.ts';
import { unplacedUntil } from './core/resync.ts';
import { Tab, type TabRegistry } from './tabs.ts';
import { tabMayRead } from './tenancy.ts';
import { NamedTimers } from './timers.ts';

/** How long `recent()` waits for a handshake to say whose the log is, in ms. */
const recentWaitMs = recentSessionWaitMs;

/** A tab of another link version or (for a worker of a known build) another build is refused. */
export function checkAttach(request: AttachRequest, deps: Pick<BrokerDeps, 'build' | 'buildId'>): void {
  if (request.linkVersion !== linkVersion) {
    throw errorData('INVALID_ARGUMENT', `tab speaks link version ${request.linkVersion}, broker ${linkVersion}`);
  }
  // A stale worker must not serve new code silently (docs/architecture.md, rule 10).
  if (deps.build && request.buildId !== deps.buildId) {
    throw errorData('BUILD_MISMATCH', `this worker runs build ${deps.buildId}, the tab ${request.buildId}; pass the worker factory's name on`);
  }
}

/**
 * A broker serves one app's connection (`appIdentity`: endpoint, account, replay URL, tenant,
 * protocol). A tab of another (a worker factory that did not pass the worker's name on starts one
 * worker for all) is refused like another build's, and falls back to a leader of its own: served
 * here, it would get this app's events and log, and its token would go to this app's replay endpoint.
 */
/** `running`: the config the broker was started with, as the first tab sent it. */
export function checkSameConnection(received: BrokerConfig, running: BrokerConfig): void {
  if (appIdentity(received) !== appIdentity(running)) {
    throw errorData('BUILD_MISMATCH', "this worker serves another app's endpoint or account; pass the worker factory's name on");
  }
}

export function subscribe(tab: Tab, pattern: string, add: boolean): void {
  if (!isValidPattern(pattern)) throw errorData('INVALID_ARGUMENT', `invalid subscription pattern ${JSON.stringify(pattern)}`);
  if (add) tab.patterns.add(pattern);
  else tab.patterns.remove(pattern);
}

/** The JSON text of what a tab asked to send, or INVALID_ARGUMENT saying why it cannot go. */
function messageText(message: unknown, maxFrameBytes: number): string {
  if (typeof message !== 'object' || message === null || Array.isArray(message)) {
    throw errorData('INVALID_ARGUMENT', 'send() takes a JSON object');
  }
  if ((message as { action?: unknown }).action === 'auth') {
    throw errorData('INVALID_ARGUMENT', 'the broker authenticates by itself; do not send auth frames');
  }
  let text: string;
  try {
    text = JSON.stringify(message);
  } catch {
    throw errorData('INVALID_ARGUMENT', 'send() message is not JSON-serialisable');
  }
  if (text.length > maxFrameBytes) {
    throw errorData('INVALID_ARGUMENT', `message of ${text.length} bytes exceeds maxFrameBytes ${maxFrameBytes}`);
  }
  return text;
}

export interface TabCallParts {
  deps: Pick<BrokerDeps, 'clock' | 'brokerId' | 'buildId' | 'brokerLock' | 'locks' | 'tabBacklogBatches' | 'tabStallMs'>;
  tabs: TabRegistry;
  radio: BuildRadio | undefined;
  driver: ConnectionDriver;
  gap: GapCoordinator;
  session: BrokerSession;
  log: EventLog;
  counters: BrokerCounters;
  maxFrameBytes: number;
  lingerMs: number;
  /** The transport only receives (Server-Sent Events): `send()` is refused. */
  noUpstream?: boolean;
  /** Writes a message's JSON text on the open socket (framed by a channel dialect where there is one). */
  upstream: (text: string) => void;
  /** The channels tabs hold: a re-attaching tab's are held again, a leaving tab's let go. */
  channels: Pick<ChannelRegistry, 'rejoin' | 'tabGone'>;
}

export class TabCalls {
  readonly #linger: NamedTimers<'linger'>;
  readonly #parts: TabCallParts;

  constructor(parts: TabCallParts) {
    this.#parts = parts;
    this.#linger = new NamedTimers(parts.deps.clock);
  }

  attach(request: AttachRequest, stream: Endpoint, closeControl: () => void): AttachReply {
    const { deps, tabs, driver } = this.#parts;
    const { session } = this.#parts;
    // Where a slow tab's window ends: past what was dropped for it (`windowEnd`), or unplaced while the server's time is unknown.
    const serverNow = () => new Date(session.serverClockKnown ? this.#parts.gap.windowEnd() : unplacedUntil).toISOString();
    const streamOptions = {
      serverNow,
      monotonic: () => deps.clock.monotonic(),
      ...(deps.tabBacklogBatches !== undefined ? { backlogBatches: deps.tabBacklogBatches } : {}),
      ...(deps.tabStallMs !== undefined ? { stallMs: deps.tabStallMs } : {}),
    };
    const tab = new Tab(request.tabId, stream, request.tenantId, request.visible, deps.clock.monotonic(), closeControl, streamOptions);
    for (const pattern of request.patterns) if (isValidPattern(pattern)) tab.patterns.add(pattern);
    tabs.add(tab);
    deps.locks.waitFor(request.lockName, () => this.removeTab(tab));
    this.#holdAgain(tab, request);
    this.#linger.clear('linger');
    // A tab logged out there resumes nothing: what it saw belongs to a session that ended.
    if ((request.since !== undefined || request.resumed) && !request.loggedOut) void this.#parts.gap.catchUp(tab, request.since);
    this.#parts.gap.attached(tab);
    // A tab arriving after a newer build announced itself is told too.
    const newer = this.#parts.radio?.newer;
    if (newer) tab.post({ k: 'up', n: newer });
    if (request.online !== driver.online) driver.setOnline(request.online);
    if (!request.loggedOut || !this.#stayLoggedOut()) driver.dispatch({ type: 'start', online: driver.online });
    return {
      brokerId: deps.brokerId,
      buildId: deps.buildId,
      brokerLock: deps.brokerLock,
      status: driver.state.status,
      reason: driver.state.reason,
    };
  }

  /** The channels a re-attaching tab holds, from where it last saw each unless it was logged out (a refused one is told to it as that channel's error). */
  #holdAgain(tab: Tab, request: AttachRequest): void {
    if (!Array.isArray(request.channels)) return;
    for (const held of request.channels) this.#parts.channels.rejoin(tab, held, request.loggedOut === true);
  }

  /**
   * A tab that was logged out when its broker died re-attached. A broker without a session yet
   * stays logged out, as the one that died would have: a send now is refused, not queued for
   * whoever logs in next, and nothing connects until `reconnect()` (or a tab that did not see the
   * logout). True when it is (or already was) logged out.
   */
  #stayLoggedOut(): boolean {
    const { session, driver } = this.#parts;
    const { status, reason } = driver.state;
    if (isLoggedOut(status, reason)) return true;
    if (session.current !== undefined) return false;
    // No session yet: none that a send could be queued for, whoever logs in next.
    session.forget();
    // Connecting already for a tab that asked for a session: let it; else stay logged out.
    if (status !== 'idle') return false;
    driver.dispatch({ type: 'stop', reason: 'logout' });
    return true;
  }

  removeTab(tab: Tab): void {
    const { tabs } = this.#parts;
    if (tabs.get(tab.id) !== tab) return;
    tabs.remove(tab.id);
    this.#parts.channels.tabGone(tab);
    // Its client told the app CLOSED for what it had queued: that must not go out later. A tab that
    // died was told nothing, and one that moved to a newer build was told WORKER_LOST: theirs still go.
    if (tab.closedByApp) this.#parts.session.dropQueuedBy(tab.id);
    if (tabs.size > 0) return;
    // Keep the socket a little while: a lone tab that reloads comes straight back.
    this.#linger.set('linger', this.#parts.lingerMs, () => {
      if (tabs.size > 0) return;
      this.#parts.driver.dispatch({ type: 'stop', reason: 'no-tabs' });
      void this.#parts.log.flush();
    });
  }

  signal(tab: Tab, signal: { online?: boolean; visible?: boolean }): void {
    const { driver } = this.#parts;
    if (typeof signal.visible === 'boolean') {
      tab.visible = signal.visible;
      if (signal.visible) tab.activeAt = this.#parts.deps.clock.monotonic();
    }
    if (typeof signal.online === 'boolean' && signal.online !== driver.online) driver.setOnline(signal.online);
    // A tab shown again or back online after a long pause: look for a sleep now, not at the next tick.
    if (signal.visible === true || signal.online === true) driver.checkWake();
  }

  send(tab: Tab, message: unknown, options: { volatile?: boolean }): Promise<boolean> | boolean {
    const { driver, counters } = this.#parts;
    // An SSE stream has no way up: refused at once rather than queued for a socket that never comes.
    if (this.#parts.noUpstream) throw errorData('SEND_UNSUPPORTED', 'send() needs a WebSocket: this broker reads a Server-Sent Events stream, which has no upstream; POST to your API instead');
    const text = messageText(message, this.#parts.maxFrameBytes);
    if (driver.writable) {
      this.#parts.upstream(text);
      counters.sent++;
      return true;
    }
    if (options.volatile) {
      counters.dropped.volatile++;
      return false;
    }
    // No session to send under until the app logs in again and calls reconnect(): queued, it
    // would go out under whoever authenticates next.
    const ended = driver.state.status;
    if (ended === 'closed' || ended === 'unauthorized' || ended === 'forbidden') {
      throw errorData('CLOSED', `not sent: the session ended (${ended}); call reconnect() after a new login`);
    }
    return this.#parts.session.queue(text, tab.id, ended);
  }

  /** The tab checked the query (tab/recent-query.ts); the store copes with anything that got through. */
  async recent(tab: Tab, query: RecentQuery): Promise<Envelope[]> {
    const { log, gap, session } = this.#parts;
    // The log belongs to a tenant and user: wait until a handshake said whose it is, and read only that one.
    const current = () => log.namespace !== undefined && log.namespace === session.namespace();
    if (!current() && !((await gap.whenNamespaceOpen(recentWaitMs)) && current())) {
      throw errorData('NOT_READY', 'no session yet: recent() needs a connection that authenticated');
    }
    const epoch = session.epoch;
    const events = await log.recent(query);
    if (epoch !== session.epoch) throw errorData('NOT_READY', 'the session changed while the log was read');
    // The same tenant rule as live events: a tab that named its tenant reads only that tenant's.
    return events.map((event) => event.envelope).filter((envelope) => tabMayRead(tab.tenantId, envelope));
  }

  stop(): void {
    this.#linger.clearAll();
  }
}
