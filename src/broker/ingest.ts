/**
 * Every frame from the server comes in here, once for all tabs: parsed within
 * bounds, classified by the wire protocol (an event needs a valid timestamp; what
 * the dialect throws drops that frame alone), and for events the edge checks
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
import type { Clock } from '../link/clock.ts';
import { type FrameRejection, type FrameRejectionCode, type ParsedFrame, parseFrame, tenantOf, validateEnvelope } from './protocol/envelope.ts';
import type { Envelope } from '../link/envelope.ts';
import type { PayloadSchemas } from './protocol/schemas.ts';
import { serverCodeForTabs, serverMessageForTabs } from './protocol/server-text.ts';
import type { Protocol, ServerFrame } from './protocol/wire.ts';
import type { Session } from '../link/stats.ts';
import type { RelayedEvent } from './replay.ts';
import type { BrokerSession } from './session.ts';
import { envelopeAllowed } from './tenancy.ts';

const maxHeldEvents = 10_000;

/** A frame read and classified, or why it was refused. */
type Understood = { ok: true; envelope: Envelope; at: number; frame: ServerFrame } | { ok: false; rejection: FrameRejection };

/** Which `stats().dropped` counter a refused frame counts in. */
const droppedCounter = {
  MALFORMED_FRAME: 'malformed',
  OVERSIZED_FRAME: 'oversized',
  TOO_DEEP: 'tooDeep',
  DIALECT_FAILED: 'dialect',
} as const satisfies Record<FrameRejectionCode, keyof BrokerCounters['dropped']>;

/** A dialect's `read`, `classify` or `normalize` threw: named by the step and the error's class only. */
function dialectFailure(step: string, error: unknown): FrameRejection {
  const name = (error as Error | undefined)?.name;
  const what = typeof name === 'string' && /^\w{1,40}$/.test(name) ? name : 'an exception';
  return { code: 'DIALECT_FAILED', message: `the dialect's ${step} threw ${what}; the frame was dropped` };
}

/**
 * A replay entry longer than `maxFrameBytes` as JSON text, as a live frame of it would be: rejected.
 * Measured once the dialect read it (the default reader refuses a hostile depth first); an entry too
 * deep to serialise at all is refused as such.
 */
function oversizedEntry(value: unknown, maxFrameBytes: number, type: string, where = 'in an events-since answer'): ParsedFrame | undefined {
  let length: number;
  try {
    length = JSON.stringify(value)?.length ?? 0;
  } catch {
    return { ok: false, rejection: { code: 'TOO_DEEP', message: `${type} ${where} nests too deep to measure`, type } };
  }
  if (length <= maxFrameBytes) return undefined;
  return { ok: false, rejection: { code: 'OVERSIZED_FRAME', message: `${type} ${where} is ${length} bytes, over maxFrameBytes ${maxFrameBytes}`, type } };
}

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
    const read = this.#understand(() => parseFrame(data, config.maxFrameBytes, protocol.read));
    if (!read.ok) {
      this.#drop(read.rejection);
      return;
    }
    const { envelope, frame } = read;
    switch (frame.kind) {
      case 'auth-accepted':
        return this.#onAuthenticated(frame.session, read.at, envelope.type, data as string);
      case 'error':
        // Bounded and without anything token-like: a server may echo a request into its error text.
        report(errorData('SERVER_ERROR', serverMessageForTabs(frame.message), { serverCode: serverCodeForTabs(frame.code), type: envelope.type }));
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
        this.#onEvent(envelope, read.at, data as string);
    }
  }

  /**
   * One entry of an events-since answer, held to what a live frame is held to: within
   * `maxFrameBytes` (its JSON text), read by the dialect, and an event with a valid timestamp.
   * Anything else is dropped, counted and reported here, and comes back as the rejection.
   */
  readReplayed(value: unknown): ParsedFrame {
    const { config, protocol } = this.#parts;
    const read = this.#understand(() => {
      const parsed = protocol.read ? protocol.read(value) : validateEnvelope(value);
      return parsed.ok ? (oversizedEntry(value, config.maxFrameBytes, parsed.envelope.type) ?? parsed) : parsed;
    });
    if (read.ok && read.frame.kind !== 'event') {
      const type = read.envelope.type;
      return this.#drop({ code: 'MALFORMED_FRAME', message: `a ${read.frame.kind} frame (${type}) in an events-since answer is not an event`, type });
    }
    if (!read.ok) return this.#drop(read.rejection);
    return { ok: true, envelope: read.envelope, at: read.at };
  }

  /**
   * The dialect's reading of one frame: parsed and read (`parse`), then classified; an event must
   * carry a valid timestamp, the instant it is ordered, logged and measured by. Never throws: what
   * the dialect throws is a rejection too, naming only the step and the error's class (its message
   * could quote the frame).
   */
  #understand(parse: () => ParsedFrame): Understood {
    let step = 'read';
    try {
      const parsed = parse();
      if (!parsed.ok) return parsed;
      step = 'classify';
      const frame = this.#parts.protocol.classify(parsed.envelope);
      const type = parsed.envelope.type;
      if (frame.kind === 'event' && !Number.isFinite(parsed.at)) {
        return { ok: false, rejection: { code: 'MALFORMED_FRAME', message: `${type} is read as an event but has no valid timestamp`, type } };
      }
      return { ...parsed, frame };
    } catch (error) {
      return { ok: false, rejection: dialectFailure(step, error) };
    }
  }

  /** Count and report a frame or replay entry that was refused; returns the rejection. */
  #drop(rejection: FrameRejection): { ok: false; rejection: FrameRejection } {
    const { counters, report } = this.#parts;
    counters.dropped[droppedCounter[rejection.code]]++;
    report(rejection);
    return { ok: false, rejection };
  }

  #onAuthenticated(session: Session, at: number, type: string, text: string): void {
    if (!this.accept(session, at)) return;
    if (this.#parts.protocol.relayControl) this.#parts.fanout.enqueue(text, type, session.tenantId, true);
  }

  /** The handshake's acceptance, however the dialect said it; false when no handshake was under way. */
  accept(session: Session, at: number): boolean {
    const { driver } = this.#parts;
    if (driver.state.status !== 'authenticating') return false;
    this.#parts.session.authenticated(session, at);
    driver.dispatch({ type: 'auth-accepted' });
    return true;
  }

  /**
   * An event a channel dialect read from a frame, as a JSON value: held to what a live frame is held
   * to (an envelope within `maxFrameBytes` as JSON, with a valid timestamp), then the event path.
   */
  onValue(value: unknown): void {
    const { config } = this.#parts;
    const read = this.#understand(() => {
      const parsed = validateEnvelope(value);
      return parsed.ok ? (oversizedEntry(value, config.maxFrameBytes, parsed.envelope.type, 'from the channel dialect') ?? parsed) : parsed;
    });
    if (!read.ok) {
      this.#drop(read.rejection);
      return;
    }
    this.#onEvent(read.envelope, read.at, undefined);
  }

  /** Cookie auth with no acceptance frame: the open socket is the session, on our clock. */
  acceptedOnOpen(): void {
    const { driver, session } = this.#parts;
    if (driver.state.status !== 'authenticating') return;
    session.authenticated({}, Number.NaN);
    driver.dispatch({ type: 'auth-accepted' });
  }

  #onEvent(raw: Envelope, at: number, text: string | undefined): void {
    if (this.#parts.driver.state.status !== 'open') {
      // The server sends events only after auth.success (docs/protocol.md "Handshake").
      this.#parts.counters.dropped.early++;
      return;
    }
    const event = this.admit(raw, at, text);
    if (!event) return;
    // A handshake that gave no time leaves the server's clock to the first live event.
    this.#parts.session.liveEventStamped(event.at);
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
    // Checked again here for whoever admits an event read elsewhere: last-seen takes only finite instants.
    if (!Number.isFinite(at)) {
      this.#drop({ code: 'MALFORMED_FRAME', message: `${raw.type} has no valid timestamp`, type: raw.type });
      return undefined;
    }
    let envelope: Envelope;
    try {
      envelope = protocol.normalize ? protocol.normalize(raw, config) : raw;
    } catch (error) {
      this.#drop(dialectFailure('normalize', error));
      return undefined;
    }
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
