/**
 * Which link this tab uses, and getting one: attach (retried with backoff, falling back
 * from a SharedWorker that will not start to a leader tab or a broker of its own), follow
 * the broker's Web Lock to hear it die (rule 7), and re-attach then, asking the next
 * broker for what its log holds since the last event this tab received.
 */
import type { HeldChannel } from '../link/channels.ts';
import { type AttachReply, type AttachRequest, type BrokerConfig, linkVersion } from '../link/messages.ts';
import { TabwireError, type TabwireErrorData } from '../link/errors.ts';
import type { Endpoint } from '../link/rpc.ts';
import { exponentialDelayMs } from '../link/exponential-delay.ts';
import type { Sharing, Target } from './hosts/host.ts';
import { hostName } from '../link/host-name.ts';
import type { TabEnvironment } from './environment.ts';
import type { ConnectOptions, CookieConnectOptions } from './options.ts';
import type { ConnectionState } from './connection-state.ts';
import type { Router } from './router.ts';
import { toTabwireError } from './calls.ts';
import { type Link, leaveLink, newLink, openHost, sendAttach } from './link.ts';

/** The first wait before attaching again after a failed attach, in ms; doubled each time up to `attachRetryMaxMs`. */
const attachRetryMs = 500;
const attachRetryMaxMs = 30_000;

export interface LinkManagerParts {
  env: TabEnvironment;
  options: ConnectOptions | CookieConnectOptions;
  config: BrokerConfig;
  tabId: string;
  /** The Web Lock this tab holds for its lifetime: the broker waits on it to learn of its death. */
  lockName: string;
  /** This tab's own build. */
  buildId: string;
  /** Bound on opening a host and on attaching, in ms (`callTimeoutMs`). */
  callTimeoutMs: number;
  connection: ConnectionState;
  router: Router;
  emitError(error: TabwireErrorData, cause?: unknown): void;
}

/**
 * What each link is wired to once attached. Built after the manager (the calls and the stream's
 * parts reach for it), so given to `start`, before the first link is opened.
 */
export interface LinkWiring {
  /** The listener of a link's stream (events, states, asks…). */
  onStream(stream: Endpoint, from: Link): (event: MessageEvent) => void;
  subscribe(pattern: string): void;
  unsubscribe(pattern: string): void;
  /** The channels this tab holds, with their last positions: an attach request carries them. */
  heldChannels?(): HeldChannel[];
}

export interface LinkManager {
  /** The link in use: calls go to its broker, and its state messages are this tab's state. */
  readonly current: Link | undefined;
  /** The link being attached while none is in use: its state messages count. Never a move's link (`moveTo`). */
  readonly connecting: Link | undefined;
  /** Where the next link attaches: this tab's own build, or a newer build's broker it moves to. */
  readonly target: Target;
  /** Settles once attached (`Broker.ready`); after a broker was lost, the next attachment's. */
  readonly ready: Promise<void>;
  /** Attach, once `lockHeld` (this tab's own lock) is held, wiring each link with `wiring`. Called once. */
  start(lockHeld: Promise<void>, wiring: LinkWiring): void;
  /**
   * Attach to the broker of `target` (a newer build's, rule 10) while the link in use stays in
   * use; from now on the next link attaches there too, unless the move is given up (`stay`).
   * Undefined when this tab closed first. Throws as attaching does, the target then as before.
   */
  moveTo(target: Target): Promise<Link | undefined>;
  /** The move is made: `next` (from `moveTo`) is the link in use, and its broker's state this tab's. */
  adopt(next: Link): void;
  /** The move is given up: leave `next` (from `moveTo`), and attach where this tab did before. */
  stay(next: Link): void;
  /** Detach from a broker we are leaving, without waiting on it; settles once it answered (bounded). */
  leave(left: Link): Promise<void>;
  /**
   * This tab closes: it detaches from the broker in use (what waits there fails CLOSED), its
   * state becomes final, and no link is in use or attaching any more. Settles once the broker
   * answered the detach (bounded).
   */
  close(): Promise<void>;
}

/** `sharing`: how the first link attaches (see `pickSharing`). */
export function linkManager(parts: LinkManagerParts, sharing: Sharing): LinkManager {
  return new Links(parts, sharing);
}

class Links implements LinkManager {
  #current: Link | undefined;
  #connecting: Link | undefined;
  #target: Target;
  #ready = Promise.resolve();
  /** Given by `start`; nothing attaches before. */
  #wiring: LinkWiring | undefined;
  /** Where this tab attached before the move under way, if one is. */
  #movedFrom: Target | undefined;
  /** Failed attaches in a row: the backoff's attempt, reset by a link put in use. */
  #failures = 0;
  /** After losing a broker: what the next one is told of where this tab was (see `AttachRequest`). */
  #resume: Resume = {};
  readonly #parts: LinkManagerParts;

  constructor(parts: LinkManagerParts, sharing: Sharing) {
    this.#parts = parts;
    this.#target = { mode: sharing, buildId: parts.buildId };
  }

  get current(): Link | undefined {
    return this.#current;
  }

  get connecting(): Link | undefined {
    return this.#connecting;
  }

  get target(): Target {
    return this.#target;
  }

  get ready(): Promise<void> {
    return this.#ready;
  }

  start(lockHeld: Promise<void>, wiring: LinkWiring): void {
    this.#wiring = wiring;
    this.#ready = lockHeld.then(() => (this.#parts.connection.closed ? undefined : this.#attachLoop()));
  }

  async moveTo(target: Target): Promise<Link | undefined> {
    this.#movedFrom = this.#target;
    this.#target = target;
    try {
      return await this.#connect(true);
    } catch (error) {
      this.#target = this.#movedFrom;
      throw error;
    }
  }

  adopt(next: Link): void {
    this.#use(next, true);
  }

  stay(next: Link): void {
    void leaveLink(next, this.#parts.env.clock);
    if (this.#movedFrom) this.#target = this.#movedFrom;
  }

  leave(left: Link): Promise<void> {
    return leaveLink(left, this.#parts.env.clock);
  }

  close(): Promise<void> {
    const last = this.#current;
    const left = last ? leaveLink(last, this.#parts.env.clock, true) : Promise.resolve();
    // What this tab still waits for (a send in the buffer) settles now, not with the broker.
    last?.rpc.failAll({ code: 'CLOSED', message: 'this broker was closed' });
    this.#parts.connection.close();
    this.#current = this.#connecting = undefined;
    return left;
  }

  /** Open a host for the target and attach to it. The returned link is not yet the one in use; `move`: it is a move's (`moveTo`). */
  async #connect(move = false): Promise<Link | undefined> {
    const { env, config, tabId, buildId, callTimeoutMs, connection, router } = this.#parts;
    const wiring = this.#wiring;
    if (connection.closed || !wiring) return undefined;
    const target = this.#target;
    const host = await openHost(env, { target, name: hostName(target.buildId, config), tabId, buildId }, callTimeoutMs);
    const patterns = [...router.patterns()];
    const link = newLink(host, patterns);
    // A move's link speaks for this tab only once adopted, even when the link in use is lost meanwhile.
    if (!move) this.#connecting = link;
    host.stream.addEventListener('message', wiring.onStream(host.stream, link));
    host.stream.start?.();
    const request = attachRequest(this.#parts, this.#target, patterns, this.#resume, this.#wiring?.heldChannels?.() ?? []);
    this.#follow(link, await sendAttach(link, request, env.clock, callTimeoutMs));
    return link;
  }

  /** Take the state the attach reply tells, and watch for the broker's death. */
  #follow(link: Link, reply: AttachReply): void {
    const { env, connection } = this.#parts;
    link.brokerId = reply.brokerId;
    if (!link.sawState) {
      link.status = reply.status;
      link.reason = reply.reason;
      if (reply.status === 'open') link.markOpen();
      if (!this.#current && link === this.#connecting) connection.set(reply.status, reply.reason);
    }
    const lostNow = () => {
      if (!connection.closed && this.#current === link) this.#lost();
    };
    // Granted only when the broker's holder is gone: the worker or the leader tab died. Without
    // Web Locks the broker is this page's own (sharing 'none'): it dies with the tab.
    env.locks?.request(reply.brokerLock, { signal: link.watch.signal }, lostNow).catch(() => {});
    void link.host.lost?.then(lostNow);
  }

  /** Make `next` the link in use; `adoptState`: its broker's state becomes this tab's at once (a move). */
  #use(next: Link, adoptState = false): void {
    const { connection, router } = this.#parts;
    this.#current = next;
    this.#connecting = undefined;
    this.#resume = {};
    this.#failures = 0;
    if (adoptState && next.status && next.reason) connection.set(next.status, next.reason);
    // Subscriptions made or dropped while this link attached went to no broker, or to the one we left.
    for (const pattern of router.patterns()) if (!next.patterns.has(pattern)) this.#wiring?.subscribe(pattern);
    for (const pattern of next.patterns) if (!router.has(pattern)) this.#wiring?.unsubscribe(pattern);
  }

  /** The broker in use died: fail what waits on it, and attach again, resuming from the last event. */
  #lost(): void {
    const { connection, router } = this.#parts;
    const gone = this.#current;
    this.#current = undefined;
    gone?.rpc.failAll({ code: 'WORKER_LOST', message: 'the broker stopped; this tab is attaching to a new one' });
    gone?.host.close();
    // The new broker may replay what the old one delivered last: drop repeats for a moment.
    router.openDedupeWindow();
    this.#resume = resumeAfterLoss(router, connection);
    connection.set('connecting', 'worker-lost');
    this.#ready = this.#attachLoop();
  }

  /** Attach until a link is in use, the tab closed, or the broker refused the options. */
  async #attachLoop(): Promise<void> {
    const { connection, env } = this.#parts;
    for (;;) {
      try {
        const next = await this.#connect();
        if (!next) return;
        if (connection.closed) return void leaveLink(next, env.clock, true);
        return this.#use(next);
      } catch (error) {
        if (connection.closed) return;
        const retry = this.#attachFailed(toTabwireError(error));
        if (retry === 'never') return;
        if (retry === 'now') continue;
        // A broker that cannot start must not be restarted in a tight loop.
        const waitMs = exponentialDelayMs(attachRetryMs, this.#failures++, attachRetryMaxMs);
        await new Promise<void>((resolve) => env.clock.setTimeout(resolve, waitMs));
        if (connection.closed) return;
      }
    }
  }

  /**
   * An attach failed with `data`: say so, and when the next attempt comes: `now` after falling
   * back from a worker that will not start, `later` after a backoff, or `never` (none can help).
   */
  #attachFailed(data: TabwireError): 'now' | 'later' | 'never' {
    const { connection, options, env, buildId, emitError } = this.#parts;
    const { code } = data;
    // A worker of another build answered, or none starts (the constructor threw, its script failed,
    // it never answered) and the app did not insist on one: keep working through a leader tab of
    // our own build, or on our own where a leader cannot be elected. Told once.
    const noWorker = code === 'WORKER_UNAVAILABLE' || code === 'WORKER_LOST' || code === 'TIMEOUT';
    if (this.#target.mode === 'worker' && (code === 'BUILD_MISMATCH' || (noWorker && options.sharing !== 'worker'))) {
      this.#target = { mode: env.available.leader ? 'leader' : 'none', buildId };
      emitError({ code: 'WORKER_UNAVAILABLE', message: `no SharedWorker: ${data.message}` }, data);
      return 'now';
    }
    const failure = new TabwireError({ code, message: `attach failed: ${data.message}` }, { cause: data });
    emitError(failure);
    // The broker refused the options (a bad protocol or schemas): trying again cannot help.
    if (code !== 'INVALID_ARGUMENT') return 'later';
    connection.refuse(failure);
    return 'never';
  }
}

/** What a tab re-attaching after its broker died tells the next one. */
type Resume = Pick<AttachRequest, 'since' | 'resumed' | 'loggedOut'>;

/** Taken when the broker in use died, before this tab's state moves on to `connecting`. */
function resumeAfterLoss(router: Router, connection: ConnectionState): Resume {
  // The last event's own time (server time); with none, no guess from this browser's clock.
  const since = router.lastTimestamp();
  return {
    ...(since !== undefined ? { since } : { resumed: true }),
    // Logged out there: the next broker must not queue a send for whoever logs in next.
    ...(connection.loggedOut ? { loggedOut: true } : {}),
  };
}

/** What a tab tells the broker it attaches to; `resume`: after a broker was lost. */
function attachRequest(parts: LinkManagerParts, target: Target, patterns: string[], resume: Resume, channels: HeldChannel[]): AttachRequest {
  const { env, options, config, tabId, lockName } = parts;
  return {
    tabId,
    linkVersion,
    buildId: target.buildId,
    lockName,
    config,
    patterns,
    online: env.online(),
    visible: env.visible(),
    ...(options.tenantId !== undefined ? { tenantId: options.tenantId } : {}),
    ...resume,
    ...(channels.length > 0 ? { channels } : {}),
  };
}
