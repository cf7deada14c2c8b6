/**
 * The broker once the first tab's config is known. Every part that needs the
 * config is built here, together, in one step: none of them holds a config that
 * may be missing. Here too are the sequences that cross the parts: what a state
 * change means for each, the end of a session, logout and shutdown.
 */
import { errorData } from '../link/errors.ts';
import type { BrokerConfig } from '../link/messages.ts';
import type { BrokerDeps } from './broker.ts';
import type { BrokerCounters, Report, TransitionHistory } from './broker-stats.ts';
import type { BuildRadio } from './builds.ts';
import { ConnectionDriver } from './connection-driver.ts';
import type { ConnectionState } from './core/connection.ts';
import type { LogPolicy } from './core/log-policy.ts';
import { EventLog } from './event-log.ts';
import type { Fanout } from './fanout.ts';
import { GapCoordinator } from './gap-coordinator.ts';
import { Ingest } from './ingest.ts';
import { protocolFor } from './protocol/presets.ts';
import { type ChannelProtocol, type HeldOnSocket, isChannelProtocol } from './protocol/channel-dialect.ts';
import type { Clock } from '../link/clock.ts';
import { DialectLink, engineProtocolOf } from './dialect-link.ts';
import { type ChannelAnswer, DialectIngest } from './dialect-ingest.ts';
import { ChannelFanout } from './channel-fanout.ts';
import { ChannelRegistry } from './channels.ts';
import { Requests } from './requests.ts';
import { defaultChannelLingerMs } from '../link/channels.ts';
import { PayloadSchemas } from './protocol/schemas.ts';
import type { BackendProtocol, Protocol } from './protocol/wire.ts';
import { BrokerSession } from './session.ts';
import { TabCalls } from './tab-calls.ts';
import type { TabRegistry } from './tabs.ts';
import { TokenSource } from './token-source.ts';
import { readTransportSpec } from './transports/transport-spec.ts';
import { overSse, sseFields } from './transports/sse-dialect.ts';
import { SseStream } from './transports/sse-transport.ts';
import { lateBound } from './late-bound.ts';

/** What the broker has before any config: its deps and the parts every state of it shares. */
export interface BrokerBase {
  deps: BrokerDeps;
  tabs: TabRegistry;
  fanout: Fanout;
  /** A dialect given in code; else the config's decides. */
  protocol?: BackendProtocol;
  radio: BuildRadio | undefined;
  counters: BrokerCounters;
  report: Report;
  history: TransitionHistory;
}

/** Statuses in which the session stopped: nothing queued may wait for it. */
const stopped = new Set(['unauthorized', 'forbidden', 'idle', 'closed']);

export class Running {
  readonly log: EventLog;
  readonly tokens: TokenSource;
  readonly session: BrokerSession;
  readonly driver: ConnectionDriver;
  readonly ingest: Ingest;
  readonly gap: GapCoordinator;
  readonly calls: TabCalls;
  /** The channels the tabs hold, one server subscription each. */
  readonly channels: ChannelRegistry;
  /** Requests over the socket in flight. */
  readonly requests: Requests;
  readonly #channelFanout: ChannelFanout;
  /** The SSE stream's state across attempts, when the transport is SSE. */
  readonly sse: SseStream | undefined;

  readonly #base: BrokerBase;
  /** Writes what a tab sent (its JSON text) on the socket. */
  readonly #upstream: (text: string) => void;
  /** The session ended: no channel position of it is asked from, and the protocol forgets it too. */
  readonly #forgetChannels: () => void;

  constructor(base: BrokerBase, readonly config: BrokerConfig) {
    this.#base = base;
    const { deps, tabs, fanout, counters, report } = base;
    this.#channelFanout = new ChannelFanout(() => {
      counters.dropped.malformed++;
      report(errorData('MALFORMED_FRAME', 'a channel message was dropped: JSON cannot hold its data (a BigInt, a cycle, a throwing toJSON)'));
    });
    const { clock } = deps;
    const sseSpec = readTransportSpec(config.transport);
    const { channelDialect, dialect } = dialectsOf(base.protocol ?? protocolFor(config), sseSpec !== undefined);
    // Over SSE the stream's request carries the credential and nothing keeps it alive from here.
    const protocol = sseSpec ? overSse(dialect, sseSpec) : dialect;
    const sse = sseSpec ? new SseStream({ spec: sseSpec, fields: sseFields(config, sseSpec), clock, fetch: deps.fetch, maxFrameBytes: config.maxFrameBytes }) : undefined;
    // The app's schemas add to (and override) its dialect's: the catalogue is the app's.
    const schemas = new PayloadSchemas({ ...protocol.schemas, ...config.schemas });
    // The parts are built in dependency order, each given those built before it. Where a part
    // calls one built after it (they need each other), it calls through a hook, bound below once
    // the later part exists, before any tab is served: nothing connects or ends a session before.
    const back = {
      /** The session's end, to the ingest. */
      sessionEnded: lateBound<[]>(),
      /** The driver's frames, to the ingest. */
      frame: lateBound<[data: unknown]>(),
      /** The socket's close, to the channel dialect's ingest. */
      closed: lateBound<[code: number, reason: string]>(),
      /** The driver's open accepted without a frame, to the ingest. */
      openAccepted: lateBound<[]>(),
      /** The driver's state changes, to this broker's sequences. */
      stateChanged: lateBound<[prev: ConnectionState, next: ConnectionState]>(),
      /** The ingest's doubt that a gap is covered, to the gap coordinator. */
      doubtCoverage: lateBound<[]>(),
      /** The channel registry's held channels, to the channel dialect's connections. */
      held: lateBound<[], HeldOnSocket[]>(),
    };
    const tokens = new TokenSource(tabs, clock, () => config.tokenTimeoutMs);
    // Another user or tenant authenticated: void what the previous session started.
    const session = new BrokerSession(config, clock, () => {
      tokens.forget();
      back.sessionEnded.call();
      sse?.forget();
    });
    const log = eventLogFor(config, deps, session, report);
    const link = channelDialect && new DialectLink({ protocol: channelDialect, counters, report, serverNow: () => session.serverNow(), held: back.held.call });
    const driver = new ConnectionDriver({
      config,
      clock,
      random: deps.random,
      transport: sse?.factory ?? deps.transport,
      protocol,
      tokens,
      counters,
      report,
      sessionEpoch: () => session.epoch,
      onFrame: back.frame.call,
      ...(link ? { onClosed: back.closed.call } : {}),
      onOpenAccepted: back.openAccepted.call,
      onStateChanged: back.stateChanged.call,
      ...(sse ? { serverRetryMs: () => sse.retryMs() } : {}),
      ...(link ? { dialect: link } : {}),
    });
    const shared = { config, clock, counters, report, fanout, log, session, driver };
    const ingest = new Ingest({ ...shared, protocol, schemas, doubtCoverage: back.doubtCoverage.call });
    const gap = new GapCoordinator({
      ...shared,
      protocol,
      baseUrl: deps.baseUrl,
      fetch: deps.fetch,
      tabs,
      ingest,
      tokens,
      ...(deps.loadReplay ? { loadReplay: deps.loadReplay } : {}),
      ...(sseSpec?.resume && sse ? { resume: sse } : {}),
    });
    const { channels, requests } = channelPartsOf(config, clock, driver, link, channelDialect, this.#channelFanout);
    this.#forgetChannels = () => {
      channels.forget();
      link?.forget();
    };
    // A tab's send() goes out framed by a channel dialect, as its JSON text otherwise.
    // What the dialect cannot send (no `send`, a message it refuses or fails to frame) is thrown to the send() it came from.
    this.#upstream = link ? (text) => link.send(JSON.parse(text)) : (text) => driver.write(text);
    const calls = new TabCalls({ ...shared, deps, tabs, radio: base.radio, gap, maxFrameBytes: config.maxFrameBytes, lingerMs: config.lingerMs, noUpstream: sseSpec !== undefined, upstream: this.#upstream, channels });
    back.sessionEnded.bind(() => {
      ingest.forgetSession();
      this.#forgetChannels();
    });
    const onChannel = (answer: ChannelAnswer) => channels.onAnswer(answer);
    const frames = link ? new DialectIngest({ link, ingest, driver, counters, report, maxFrameBytes: config.maxFrameBytes, onChannel, onResponse: (answer) => requests.onResponse(answer) }) : ingest;
    back.frame.bind((data) => frames.onFrame(data));
    if (frames instanceof DialectIngest) back.closed.bind((code, reason) => frames.onClosed(code, reason));
    back.openAccepted.bind(() => ingest.acceptedOnOpen());
    back.stateChanged.bind((prev, next) => this.#onStateChanged(prev, next));
    back.doubtCoverage.bind(() => gap.doubtCoverage());
    back.held.bind(() => channels.heldNow());
    this.sse = sse;
    this.tokens = tokens;
    this.session = session;
    this.log = log;
    this.driver = driver;
    this.ingest = ingest;
    this.gap = gap;
    this.calls = calls;
    this.channels = channels;
    this.requests = requests;
  }

  #onStateChanged(prev: ConnectionState, next: ConnectionState): void {
    const { history, tabs, deps } = this.#base;
    history.add({ at: deps.clock.now(), from: prev.status, to: next.status, reason: next.reason });
    // Events the socket brought before this change reach tabs before it (the fan-out may hold them for hops).
    this.#base.fanout.flush();
    this.#channelFanout.flush();
    tabs.broadcast({ k: 'st', s: next.status, p: prev.status, r: next.reason });
    if (next.status === 'open' && prev.status !== 'open') this.#onOpened();
    if (prev.status === 'open' && next.status !== 'open') this.#onLost(next);
    // The session stopped: what was queued for it must neither wait forever nor go out under the next one.
    if (stopped.has(next.status)) {
      this.session.rejectOutbox('CLOSED', `the connection stopped (${next.status}) before the message could be sent`);
    }
  }

  #onOpened(): void {
    this.driver.opened();
    const { tabs, counters } = this.#base;
    counters.sent += this.session.flushOutbox((tabId) => tabs.get(tabId)?.alive === true, this.#upstream);
    this.ingest.hold();
    void this.gap.prepareNamespace(this.driver.generation);
    this.channels.opened();
  }

  #onLost(next: ConnectionState): void {
    this.driver.lost();
    this.channels.lost();
    this.requests.failAll();
    // After logout nothing of the session that ended reaches a tab.
    if (next.status === 'closed') {
      this.ingest.dropHeld();
      return;
    }
    // What arrived on the lost connection is still news: deliver it.
    this.ingest.releaseHeld();
    this.gap.lost(next.status === 'offline' ? 'offline' : 'reconnect');
  }

  async logout(): Promise<void> {
    // Before the stop: the stop's state message must be the last thing a tab gets of this session.
    this.session.end();
    this.#base.fanout.discard();
    this.session.rejectOutbox('CLOSED', 'logged out before the message could be sent');
    this.driver.dispatch({ type: 'stop', reason: 'logout' });
    this.gap.dispatch({ type: 'reset' });
    this.session.forget();
    this.sse?.forget();
    const logWiped = await this.log.wipe();
    const endpointWiped = await this.#base.deps.stores.wipePrefix(this.session.endpointPrefix()).then(() => true, () => false);
    if (!logWiped || !endpointWiped) {
      this.#base.report(errorData('LOG_DEGRADED', 'logout could not wipe the stored event log; it is wiped when the log is next opened'));
    }
  }

  /** Stop for good: socket closed, timers cleared, what was queued refused. */
  shutdown(): void {
    this.driver.shutdown();
    this.gap.stop();
    this.calls.stop();
    this.channels.stop();
    this.requests.failAll('the broker shut down before the answer came');
    this.session.rejectOutbox('CLOSED', 'the broker shut down before the message could be sent');
  }
}

/**
 * A channel dialect is driven through its seam (`channelDialect`; not over SSE, which has no
 * upstream); the other parts ask of it what they ask of any dialect (`dialect`).
 */
function dialectsOf(given: BackendProtocol, sse: boolean): { channelDialect: ChannelProtocol | undefined; dialect: Protocol } {
  if (!isChannelProtocol(given)) return { channelDialect: undefined, dialect: given };
  return { channelDialect: sse ? undefined : given, dialect: engineProtocolOf(given) };
}

/** The channels tabs hold and the requests in flight, over the channel dialect's link when there is one. */
function channelPartsOf(config: BrokerConfig, clock: Clock, driver: ConnectionDriver, link: DialectLink | undefined, dialect: ChannelProtocol | undefined, fanout: ChannelFanout) {
  const open = () => driver.state.status === 'open';
  const lingerMs = config.channelLingerMs ?? defaultChannelLingerMs;
  const channels = new ChannelRegistry({ link, recovers: dialect?.recovers === true, clock, fanout, open, lingerMs, maxFrameBytes: config.maxFrameBytes });
  return { channels, requests: new Requests({ link, driver, clock, maxFrameBytes: config.maxFrameBytes }) };
}

/** The session's event log, with the policy the config sets; age is measured in the server's time. */
function eventLogFor(config: BrokerConfig, deps: BrokerDeps, session: BrokerSession, report: Report): EventLog {
  const policy: LogPolicy = { maxEvents: config.logMaxEvents, maxAgeMs: config.logMaxAgeMs };
  return new EventLog({
    policy,
    enabled: config.logEnabled,
    openStore: (ns) => deps.stores.open(ns, policy),
    clock: deps.clock,
    // Age is measured in the server's time, like the timestamps it is measured on.
    serverNow: () => session.serverNow(),
    onDegraded: (reason) => report(errorData('LOG_DEGRADED', `event log kept in memory only: ${reason}`)),
  });
}
