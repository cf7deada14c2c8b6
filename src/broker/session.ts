/**
 * Whose connection this is (docs/architecture.md, rule 13): the session the last
 * handshake named, its epoch (bumped when it ends, so work started for an older
 * session is void when it finishes), the server's clock as that handshake told
 * it, the log namespace the session owns, and the outbox of what its tabs queued
 * while the socket was down. What else a session's end voids (held events,
 * dedupe, tokens) belongs to other parts: `onEnd` reaches them.
 */
import { type TabwireErrorData, errorData, toErrorData } from '../link/errors.ts';
import type { BrokerConfig } from '../link/messages.ts';
import type { ConnectionStatus } from '../link/states.ts';
import { Outbox } from './core/outbox.ts';
import type { Clock } from '../link/clock.ts';
import type { Session } from '../link/stats.ts';

/** An event stamped this far past the server's clock (as its handshake told it) does not move last-seen, in ms. */
const futureSlackMs = 60_000;
/**
 * How far a browser's clock may be off the server's. While the handshake has given no server time,
 * a stamp further than this from the browser's clock neither sets the server's clock nor moves
 * last-seen: an event stamped ahead cannot be told from a server clock that is, and trusting it would
 * start the next gap too late. A browser clock further off than this still loses nothing: its gaps
 * are told `complete: false` from an unplaced start.
 */
const unknownClockSkewMs = 10 * 60 * 1000;

interface Outgoing {
  text: string;
  resolve: (sent: boolean) => void;
  reject: (error: TabwireErrorData) => void;
  /** The session it was queued in (`tenant|user`), or undefined before any handshake said whose it is. */
  session: string | undefined;
  tabId: string;
}

/** Who a session belongs to, as one comparable string. */
const sessionIdentity = (session: Session | undefined): string | undefined =>
  session && `${session.tenantId ?? ''}|${session.userId ?? ''}`;

export class BrokerSession {
  #current: Session | undefined;
  /**
   * Bumped when a session ends (logout) or another user or tenant authenticates: work
   * started for an older session (a refresh, a catch-up) is void when it finishes.
   */
  #epoch = 0;
  /** Server time of the handshake that opened the current connection (ms); undefined when it gave none. */
  #openedAt: number | undefined;
  /**
   * The server's clock against our monotonic clock: bounds last-seen. As the handshake told it;
   * when it told none, as the first live event's own time gives it; unknown until then.
   */
  #serverClock: { serverAt: number; monotonicAt: number } | undefined;
  /** The server's clock was taken from live events, the handshake having given none. */
  #clockFromEvents = false;
  /** From a logout until the next handshake: no session that a queued message could belong to. */
  #loggedOut = false;
  /**
   * Server time the current session began, when it began after a logout or another user in this
   * broker (or in one before it, as its log says): replays never reach before it. `pending`: set
   * at the next handshake.
   */
  #replayFloor: number | 'pending' | undefined;
  readonly #outbox: Outbox<Outgoing>;

  readonly #config: BrokerConfig;
  readonly #clock: Clock;
  readonly #onEnd: () => void;

  constructor(config: BrokerConfig, clock: Clock, onEnd: () => void) {
    this.#config = config;
    this.#clock = clock;
    this.#onEnd = onEnd;
    this.#outbox = new Outbox(config.maxBufferedMessages);
  }

  get current(): Session | undefined {
    return this.#current;
  }

  get epoch(): number {
    return this.#epoch;
  }

  /** Server time the current connection's handshake was accepted; undefined when the server gave no time. */
  get openedAt(): number | undefined {
    return this.#openedAt;
  }

  /** Whether the server's time is known (from the handshake, or the first live event after it). */
  get serverClockKnown(): boolean {
    return this.#serverClock !== undefined;
  }

  get replayFloor(): number | undefined {
    return typeof this.#replayFloor === 'number' ? this.#replayFloor : undefined;
  }

  get outboxSize(): number {
    return this.#outbox.size;
  }

  /** The tenant events must belong to: the handshake's, else the one the app configured. */
  get tenantId(): string | undefined {
    return this.#current?.tenantId ?? this.#config.tenantId;
  }

  /**
   * A handshake succeeded at `at` (server time, NaN when the server gave none): another user or
   * tenant ends the previous session, since nothing held for it carries over.
   */
  authenticated(session: Session, at: number): void {
    const previous = sessionIdentity(this.#current);
    this.#current = session;
    this.#loggedOut = false;
    if (previous !== undefined && previous !== sessionIdentity(session)) this.end();
    // Gap bounds and last-seen are server time: without one from the server, the browser's clock
    // (minutes off, either way) must not stand in for it; the first live event gives it.
    const known = Number.isFinite(at);
    this.#openedAt = known ? at : undefined;
    this.#serverClock = known ? { serverAt: at, monotonicAt: this.#clock.monotonic() } : undefined;
    this.#clockFromEvents = false;
    if (known && this.#replayFloor === 'pending') this.#replayFloor = at;
  }

  /**
   * A live event stamped `at` by the server arrived. Until then the server's clock was unknown
   * (the handshake gave no time): from now on it is the event's time, advanced on the monotonic clock.
   */
  liveEventStamped(at: number): void {
    if (!Number.isFinite(at) || Math.abs(at - this.#clock.now()) > unknownClockSkewMs) return;
    // The handshake's time is the server's word; one taken from events only moves forward with them
    // (a resumed stream's first event may be an old one).
    if (this.#serverClock && (!this.#clockFromEvents || at <= this.serverNow())) return;
    this.#serverClock = { serverAt: at, monotonicAt: this.#clock.monotonic() };
    this.#clockFromEvents = true;
    if (this.#replayFloor === 'pending') this.#replayFloor = at;
  }

  /**
   * A replay floor the log kept for this namespace (a broker before this one saw the session
   * begin), or `pending`: the session begins here at a server time not known yet.
   */
  adoptReplayFloor(floor: number | 'pending'): void {
    this.#replayFloor ??= floor === 'pending' && this.#serverClock ? this.serverNow() : floor;
  }

  /** The session ended (logout, or another user or tenant): void what it started. */
  end(): void {
    this.#epoch++;
    this.#replayFloor = 'pending';
    this.#onEnd();
  }

  /** Logged out: nobody's session until the next handshake, and no server clock to trust. */
  forget(): void {
    this.#current = undefined;
    this.#serverClock = undefined;
    this.#loggedOut = true;
  }

  /**
   * The server's clock now, as the handshake (or the first live event) told it; while unknown, our
   * wall clock, good only for what is told, never for what is replayed or judged complete.
   */
  serverNow(): number {
    const clock = this.#serverClock;
    return clock ? clock.serverAt + (this.#clock.monotonic() - clock.monotonicAt) : this.#clock.now();
  }

  /**
   * Stamped past the server's clock by more than a clock's slack: such an instant must not move
   * last-seen. While the server's clock is unknown the browser's proves little: only a stamp
   * further ahead of it than any browser clock is off (`unknownClockSkewMs`) counts.
   */
  inFuture(at: number): boolean {
    if (this.#serverClock === undefined) return at > this.#clock.now() + unknownClockSkewMs;
    return at > this.serverNow() + futureSlackMs;
  }

  /** The log's namespace: endpoint (and the app's hashed session key), tenant, user. */
  namespace(): string {
    return `${this.endpointPrefix()}${this.#current?.tenantId ?? ''}|${this.#current?.userId ?? ''}`;
  }

  /** What every namespace of this endpoint and session key starts with: logout wipes them all. */
  endpointPrefix(): string {
    const { url, sessionKey } = this.#config;
    return sessionKey ? `${url}#${sessionKey}|` : `${url}|`;
  }

  /** Queue a message of `tabId` until the socket is open again, under the current session. */
  queue(text: string, tabId: string, status: ConnectionStatus): Promise<boolean> {
    return new Promise((resolve, reject) => {
      // Between a logout and the next handshake nobody's session is open: queued, the message would
      // go out under whoever logs in next.
      if (this.#loggedOut) {
        reject(errorData('CLOSED', 'not sent: logged out, and no new session has connected yet'));
        return;
      }
      const item = { text, resolve, reject, session: sessionIdentity(this.#current), tabId };
      if (this.#outbox.push(item) === 'full') {
        reject(errorData('BUFFER_FULL', `upstream buffer full (${this.#config.maxBufferedMessages} messages) while ${status}`));
      }
    });
  }

  /**
   * Send what was queued while down — only what belongs to this session: a message queued
   * under another user or tenant is refused, and one queued before any handshake said whose
   * it was goes out only if the tab that queued it is still here. Returns how many went out.
   */
  flushOutbox(tabAlive: (tabId: string) => boolean, write: (text: string) => void): number {
    const current = sessionIdentity(this.#current);
    let sent = 0;
    for (const item of this.#outbox.drain()) {
      const foreign = item.session === undefined ? !tabAlive(item.tabId) : item.session !== current;
      if (foreign) {
        item.reject(errorData('SESSION_CHANGED', 'not sent: another user or tenant authenticated before it could go out'));
        continue;
      }
      try {
        write(item.text);
      } catch (error) {
        // A channel dialect refused the message (INVALID_ARGUMENT): that send() alone fails.
        item.reject(toErrorData(error));
        continue;
      }
      sent++;
      item.resolve(true);
    }
    return sent;
  }

  /**
   * A tab closed: what it queued does not go. Its client already told the app CLOSED; sent
   * later, a message the app may send again would go twice.
   */
  dropQueuedBy(tabId: string): void {
    for (const item of this.#outbox.take((queued) => queued.tabId === tabId)) {
      item.reject(errorData('CLOSED', 'not sent: the tab that sent it left before the socket was back'));
    }
  }

  rejectOutbox(code: 'CLOSED' | 'SESSION_CHANGED', message: string): void {
    for (const item of this.#outbox.drain()) item.reject(errorData(code, message));
  }
}
