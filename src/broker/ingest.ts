/**
 * Every frame from the server comes in here, once for all tabs: parsed within
 * bounds, classified by the wire protocol, and for events the edge checks
 * (docs/protocol.md "Envelope"): older drafts normalised, other tenants' events
 * dropped, known payloads checked, duplicates dropped; then relayed and logged,
 * with last-seen kept behind the server's clock (rule 14). Live events are held
 * back while a namespace loads and a replay runs, so replayed ones go first.
 */
import { errorData } from '../link/errors.ts';
import type { BrokerConfig } from '../link/messages.ts';
import type { BrokerCounters, Report } from './broker-stats.ts';
import type { ConnectionDriver } from './connection-driver.ts';
import { RecentKeys } from './core/log-policy.ts';
import { eventKey } from '../link/event-identity.ts';
import type { EventLog } from './event-log.ts';
import type { Fanout } from './fanout.ts';
import type { Clock } from './ports.ts';
import { parseFrame, tenantOf } from './protocol/envelope.ts';
import type { Envelope } from '../link/envelope.ts';
import type { PayloadSchemas } from './protocol/schemas.ts';
import type { Protocol } from './protocol/wire.ts';
import type { Session } from '../link/stats.ts';
import type { RelayedEvent } from './replay.ts';
import type { BrokerSession } from './session.ts';
import { envelopeAllowed } from './tenancy.ts';

const maxHeldEvents = 10_000;

export interface IngestParts {
  config: BrokerConfig;
  clock: Clock;
  protocol: Protocol;
  /** The payload schemas of the types the app (or its dialect) declared. */
  schemas: PayloadSchemas;
  counters: BrokerCounters;
  report: Report;
  fanout: Fanout;
  log: EventLog;
  session: BrokerSession;
  driver: ConnectionDriver;
  /** A gap measured from last-seen may not be covered: events came out of order by more than the replay overlap. */
  doubtCoverage: () => void;
}

export class Ingest {
  /** Live events held back while the namespace loads and a replay runs, so replayed ones go first. */
  #held: RelayedEvent[] | null = null;
  readonly #dedupe: RecentKeys;

  readonly #parts: IngestParts;

  constructor(parts: IngestParts) {
    this.#parts = parts;
    this.#dedupe = new RecentKeys(Math.max(2000, parts.config.logMaxEvents * 2));
  }

  onFrame(data: unknown): void {
    const { config, counters, protocol, report } = this.#parts;
    counters.framesReceived++;
    const parsed = parseFrame(data, config.maxFrameBytes, protocol.read);
    if (!parsed.ok) {
      const code = parsed.rejection.code;
      counters.dropped[code === 'OVERSIZED_FRAME' ? 'oversized' : code === 'TOO_DEEP' ? 'tooDeep' : 'malformed']++;
      report(parsed.rejection);
      return;
    }
    const envelope = parsed.envelope;
    const frame = protocol.classify(envelope);
    switch (frame.kind) {
      case 'auth-accepted':
        return this.#onAuthenticated(frame.session, parsed.at, envelope.type, data as string);
      case 'error':
        report(errorData('SERVER_ERROR', frame.message, { serverCode: frame.code, type: envelope.type }));
        if (protocol.relayControl) this.#parts.fanout.enqueue(data as string, envelope.type, undefined, true);
        if (frame.during !== 'request') this.#parts.driver.dispatch({ type: 'server-error', code: frame.code, during: frame.during });
        return;
      case 'ping':
        this.#parts.driver.write(protocol.pongFrame(new Date(this.#parts.clock.now()).toISOString()));
        return;
      case 'pong':
        this.#parts.driver.ponged();
        return;
      case 'event':
        this.#onEvent(envelope, parsed.at, data as string);
    }
  }

  #onAuthenticated(session: Session, at: number, type: string, text: string): void {
    const { driver, fanout } = this.#parts;
    if (driver.state.status !== 'authenticating') return;
    this.#parts.session.authenticated(session, at);
    driver.dispatch({ type: 'auth-accepted' });
    if (this.#parts.protocol.relayControl) fanout.enqueue(text, type, session.tenantId, true);
  }

  /** Cookie auth with no acceptance frame: the open socket is the session, on our clock. */
  acceptedOnOpen(): void {
    const { driver, session } = this.#parts;
    if (driver.state.status !== 'authenticating') return;
    session.authenticated({}, Number.NaN);
    driver.dispatch({ type: 'auth-accepted' });
  }

  #onEvent(raw: Envelope, at: number, text: string): void {
    if (this.#parts.driver.state.status !== 'open') {
      // The server sends events only after auth.success (docs/protocol.md "Handshake").
      this.#parts.counters.dropped.early++;
      return;
    }
    const event = this.admit(raw, at, text);
    if (!event) return;
    this.#parts.counters.eventsReceived++;
    if (this.#held && this.#held.length < maxHeldEvents) this.#held.push(event);
    else {
      // A replay slower than a burst is long: let live events through rather than hold without bound.
      this.releaseHeld();
      this.#deliver(event);
    }
  }

  /**
   * The edge checks, once per frame for every tab: older drafts' names and keys
   * normalised, other tenants' events dropped, known types' payloads checked.
   * Returns the event to relay, or undefined when it was dropped (counted and reported).
   */
  admit(raw: Envelope, at: number, text: string | undefined): RelayedEvent | undefined {
    const { config, counters, report, protocol } = this.#parts;
    const envelope = protocol.normalize ? protocol.normalize(raw, config) : raw;
    if (!this.#acceptsTenant(envelope)) return undefined;
    const tenant = tenantOf(envelope);
    const problem = this.#parts.schemas.problem(envelope);
    if (problem !== undefined) {
      counters.dropped.invalid++;
      report(errorData('INVALID_PAYLOAD', problem.message, { type: envelope.type }));
      if (problem.fatal && config.invalidPayloads === 'drop') return undefined;
    }
    // Tabs get the frame's own text unless it had to be rewritten, or is not an envelope as tabs read it.
    const verbatim = envelope === raw && text !== undefined && protocol.read === undefined;
    const relayText = verbatim ? text : JSON.stringify(envelope);
    return { envelope, at, key: eventKey(envelope), text: relayText, tenant };
  }

  #acceptsTenant(envelope: Envelope): boolean {
    if (envelopeAllowed(envelope, this.#parts.session.tenantId)) return true;
    this.#parts.counters.dropped.tenant++;
    // Name the type, never the other tenant's id or payload.
    const type = envelope.type;
    this.#parts.report(errorData('TENANT_MISMATCH', `dropped a ${type} event of another tenant`, { type }));
    return false;
  }

  #deliver(event: RelayedEvent): void {
    if (!this.#dedupe.add(event.key)) {
      this.#parts.counters.duplicates++;
      return;
    }
    this.#parts.fanout.enqueue(event.text, event.envelope.type, event.tenant);
    this.record(event);
    this.#parts.counters.eventsRelayed++;
  }

  /**
   * Log a relayed event. last-seen never runs ahead of the server's clock: an event stamped
   * in the future is kept but does not move it (else every later gap would look covered).
   */
  record(event: RelayedEvent): void {
    const { log, session, config } = this.#parts;
    const future = session.inFuture(event.at);
    if (future) {
      this.#parts.report(errorData('FUTURE_TIMESTAMP', `a ${event.envelope.type} event is stamped past the server's clock; last-seen not moved`, { type: event.envelope.type }));
    }
    const lastSeen = log.lastSeen?.at;
    // Out of order by more than the replay overlap: a replay from last-seen could miss events like it.
    if (lastSeen !== undefined && event.at < lastSeen - config.replayOverlapMs) this.#parts.doubtCoverage();
    log.append({ key: event.key, at: event.at, envelope: event.envelope }, !future);
  }

  /** Whether an event was seen already, without remembering it. */
  seen(key: string): boolean {
    return this.#dedupe.has(key);
  }

  /** Remember an event as seen; false when it was seen already (a duplicate). */
  remember(key: string): boolean {
    return this.#dedupe.add(key);
  }

  /** Start holding live events back (a connection opened: its namespace and replay come first). */
  hold(): void {
    this.#held ??= [];
  }

  /** Let the held events through, in order, and stop holding. */
  releaseHeld(): void {
    const held = this.#held;
    this.#held = null;
    if (held) for (const event of held) this.#deliver(event);
  }

  /** The session ended: what was held or seen for it is void. */
  forgetSession(): void {
    this.#held = null;
    this.#dedupe.clear();
  }

  /** Logged out: nothing of the session that ended reaches a tab. */
  dropHeld(): void {
    this.#held = null;
  }
}
