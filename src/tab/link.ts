/**
 * One attachment to one host: open the host within the call bound, attach to its broker
 * (failing at once if the host dies first), and leave it. Which link is in use, and
 * finding another when one is lost, is the link manager's (link-manager.ts).
 */
import type { ConnectionStatus, TransitionReason } from '../link/states.ts';
import { TabwireError } from '../link/errors.ts';
import type { AttachReply, AttachRequest } from '../link/messages.ts';
import { type ControlClient, createControlClient } from './control-client.ts';
import type { Host } from './hosts/host.ts';
import type { TabClock } from '../link/clock.ts';
import type { HostRequest, TabEnvironment } from './environment.ts';
import { withTimeout } from './calls.ts';

/** One attachment to one host. */
export interface Link {
  host: Host;
  /** Calls to this host's broker (comlink); every one settles when the broker is lost or left. */
  rpc: ControlClient;
  brokerId: string;
  /** A state message came on this link (newer than the attach reply, which may arrive after it). */
  sawState: boolean;
  /** The latest state this link's broker told: its attach reply, then its state messages. */
  status?: ConnectionStatus;
  reason?: TransitionReason;
  /** Settles once this link's broker is open. */
  opened: Promise<void>;
  markOpen(): void;
  /** The patterns its attach request carried: `on()` calls made while it attached are not among them. */
  patterns: Set<string>;
  /** Withdraws the wait on the broker's lock when we leave it, so a closed tab holds no queued request. */
  watch: AbortController;
}

/** Opens the host `request` names, or fails with TIMEOUT after `ms`. */
export async function openHost(env: TabEnvironment, request: HostRequest, ms: number): Promise<Host> {
  const opening = env.openHost(request);
  return withTimeout(env.clock, opening, 'finding a broker', ms).catch((error: unknown) => {
    // Given up on, it may still come: closed then, so its channels and timers do not live on.
    void opening.then((late) => late.close(), () => {});
    throw error;
  });
}

/** A link to a host just opened, not attached yet; `patterns`: those its attach request carries. */
export function newLink(host: Host, patterns: string[]): Link {
  const rpc = createControlClient(host.control);
  let markOpen!: () => void;
  const opened = new Promise<void>((resolve) => (markOpen = resolve));
  return { host, rpc, brokerId: '', sawState: false, opened, markOpen, patterns: new Set(patterns), watch: new AbortController() };
}

/** Sends the attach request on `link`, bounded by `ms`; a link given up on is closed. */
export async function sendAttach(link: Link, request: AttachRequest, clock: TabClock, ms: number): Promise<AttachReply> {
  const { host, rpc } = link;
  // A host that fails before it answers (a worker that cannot start) fails the attach at once.
  const failed = host.lost?.then(() => {
    throw new TabwireError({ code: 'WORKER_LOST', message: 'the broker failed to start' });
  });
  try {
    // The stream port goes with the call where ports can travel (the worker); a leader's stream is its own channel.
    const attaching = rpc.attach(request, host.transfer);
    return await withTimeout(clock, failed ? Promise.race([attaching, failed]) : attaching, 'attaching', ms);
  } catch (error) {
    rpc.failAll({ code: 'CLOSED', message: 'this tab gave up attaching there' });
    host.close();
    throw error;
  }
}

/** How long a tab leaving a broker waits for it to answer the detach before closing the link anyway, in ms. */
export const detachAnswerMs = 1000;

/**
 * Detach from a broker we are leaving, without waiting on it; its channels close once it
 * answered (or after `detachAnswerMs`). The returned promise settles then: by that time the
 * broker has taken the detach in, so a lock released afterwards cannot reach it first.
 */
export function leaveLink(left: Link, clock: TabClock, closing = false): Promise<void> {
  left.watch.abort();
  const answered = left.rpc.detach(closing);
  const done = new Promise<void>((resolve) => {
    const timer = clock.setTimeout(resolve, detachAnswerMs);
    void answered.then(() => {
      clock.clearTimeout(timer);
      resolve();
    });
  });
  return done.then(() => {
    // Calls still waiting there are repeated on the broker in use, or fail (send): never left hanging.
    left.rpc.failAll({ code: 'WORKER_LOST', message: 'this tab left that broker' });
    left.host.close();
  });
}
