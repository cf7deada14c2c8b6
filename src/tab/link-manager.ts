/**
 * Which link this tab uses, and getting one: attach (retried with backoff, falling back
 * from a SharedWorker that will not start to a leader tab or a broker of its own), follow
 * the broker's Web Lock to hear it die (rule 7), and re-attach then, asking the next
 * broker for what its log holds since the last event this tab received.
 */
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
  /** The listener of a link's stream (events, states, asks…). */
  onStream(stream: Endpoint, from: Link): (event: MessageEvent) => void;
  subscribe(pattern: string): void;
  unsubscribe(pattern: string): void;
}

export interface LinkManager {
  /** The link in use: calls go to its broker, and its state messages are this tab's state. */
  current: Link | undefined;
  /** The link being attached while none is in use: its state messages count. */
  connecting: Link | undefined;
  /** Where the next link attaches: this tab's own build, or a newer build's broker it moves to. */
  target: Target;
  /** Settles once attached (`Broker.ready`); after a broker was lost, the next attachment's. */
  ready: Promise<void>;
  /** Attach, once `lockHeld` (this tab's own lock) is held. */
  start(lockHeld: Promise<void>): void;
  /** Open a host for `target` and attach to it. The returned link is not yet the one in use. */
  connect(): Promise<Link | undefined>;
  /** Make `next` the link in use; `adoptState`: its broker's state becomes this tab's at once (a move). */
  use(next: Link, adoptState?: boolean): void;
  /** Detach from a broker we are leaving, without waiting on it; settles once it answered (bounded). */
  leave(left: Link, closing?: boolean): Promise<void>;
}

/** `sharing`: how the first link attaches (see `pickSharing`). */
export function linkManager(parts: LinkManagerParts, sharing: Sharing): LinkManager {
  const { env, config, tabId, buildId, callTimeoutMs, connection, router } = parts;
  /** Failed attaches in a row: the backoff's attempt, reset by a link put in use. */
  let failures = 0;
  /** The wait before the next attempt after one more failed, in ms. */
  const backoffMs = () => exponentialDelayMs(attachRetryMs, failures++, attachRetryMaxMs);
  /** After losing a broker: what the next one is told of where this tab was (see `AttachRequest`). */
  let resume: Resume = {};

  /** Take the state the attach reply tells, and watch for the broker's death. */
  const follow = (link: Link, reply: AttachReply) => {
    link.brokerId = reply.brokerId;
    if (!link.sawState) {
      link.status = reply.status;
      link.reason = reply.reason;
      if (reply.status === 'open') link.markOpen();
      if (!links.current) connection.set(reply.status, reply.reason);
    }
    const lostNow = () => {
      if (!connection.closed && links.current === link) lost();
    };
    // Granted only when the broker's holder is gone: the worker or the leader tab died. Without
    // Web Locks the broker is this page's own (sharing 'none'): it dies with the tab.
    env.locks?.request(reply.brokerLock, { signal: link.watch.signal }, lostNow).catch(() => {});
    void link.host.lost?.then(lostNow);
  };

  /** The broker in use died: fail what waits on it, and attach again, resuming from the last event. */
  const lost = () => {
    const gone = links.current;
    links.current = undefined;
    gone?.rpc.failAll({ code: 'WORKER_LOST', message: 'the broker stopped; this tab is attaching to a new one' });
    gone?.host.close();
    // The new broker may replay what the old one delivered last: drop repeats for a moment.
    router.openDedupeWindow();
    resume = resumeAfterLoss(router, connection);
    connection.set('connecting', 'worker-lost');
    links.ready = attachLoop(links, parts, backoffMs);
  };

  const links: LinkManager = {
    current: undefined,
    connecting: undefined,
    target: { mode: sharing, buildId },
    ready: Promise.resolve(),
    start(lockHeld) {
      links.ready = lockHeld.then(() => (connection.closed ? undefined : attachLoop(links, parts, backoffMs)));
    },
    async connect() {
      if (connection.closed) return undefined;
      const { target } = links;
      const host = await openHost(env, { target, name: hostName(target.buildId, config), tabId, buildId }, callTimeoutMs);
      const patterns = [...router.patterns()];
      const link = newLink(host, patterns);
      links.connecting = link;
      host.stream.addEventListener('message', parts.onStream(host.stream, link));
      host.stream.start?.();
      const request = attachRequest(parts, links.target, patterns, resume);
      follow(link, await sendAttach(link, request, env.clock, callTimeoutMs));
      return link;
    },
    use(next, adoptState = false) {
      links.current = next;
      links.connecting = undefined;
      resume = {};
      failures = 0;
      if (adoptState && next.status && next.reason) connection.set(next.status, next.reason);
      // Subscriptions made or dropped while this link attached went to no broker, or to the one we left.
      for (const pattern of router.patterns()) if (!next.patterns.has(pattern)) parts.subscribe(pattern);
      for (const pattern of next.patterns) if (!router.has(pattern)) parts.unsubscribe(pattern);
    },
    leave: (left, closing) => leaveLink(left, env.clock, closing),
  };
  return links;
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
function attachRequest(parts: LinkManagerParts, target: Target, patterns: string[], resume: Resume): AttachRequest {
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
  };
}

/** Attach until a link is in use, the tab closed, or the broker refused the options. */
async function attachLoop(links: LinkManager, parts: LinkManagerParts, backoffMs: () => number): Promise<void> {
  const { connection, options, env, buildId, emitError } = parts;
  for (;;) {
    try {
      const next = await links.connect();
      if (!next) return;
      if (connection.closed) return void links.leave(next, true);
      return links.use(next);
    } catch (error) {
      if (connection.closed) return;
      const data = toTabwireError(error);
      const { code } = data;
      // A worker of another build answered, or none starts (the constructor threw, its script failed,
      // it never answered) and the app did not insist on one: keep working through a leader tab of
      // our own build, or on our own where a leader cannot be elected. Told once.
      const noWorker = code === 'WORKER_UNAVAILABLE' || code === 'WORKER_LOST' || code === 'TIMEOUT';
      if (links.target.mode === 'worker' && (code === 'BUILD_MISMATCH' || (noWorker && options.sharing !== 'worker'))) {
        links.target = { mode: env.available.leader ? 'leader' : 'none', buildId };
        emitError({ code: 'WORKER_UNAVAILABLE', message: `no SharedWorker: ${data.message}` }, data);
        continue;
      }
      const failure = new TabwireError({ code, message: `attach failed: ${data.message}` }, { cause: data });
      emitError(failure);
      // The broker refused the options (a bad protocol or schemas): trying again cannot help.
      if (code === 'INVALID_ARGUMENT') return connection.refuse(failure);
      // A broker that cannot start must not be restarted in a tight loop.
      await new Promise<void>((resolve) => env.clock.setTimeout(resolve, backoffMs()));
      if (connection.closed) return;
    }
  }
}
