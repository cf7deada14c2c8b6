/**
 * The decisions of one channel's gap (docs/architecture.md rule 14, per channel): a channel that
 * was subscribed when its socket dropped has a gap; it is resubscribed from its position where
 * the protocol recovers, and its tabs are told once whether the gap closed complete.
 */
import type { ChannelPosition } from '../../link/channels.ts';

/** Where a resubscription resumes: the stored position, only where the protocol recovers. */
export function resumeFrom(recovers: boolean, position: ChannelPosition | undefined): ChannelPosition | undefined {
  return recovers ? position : undefined;
}

/**
 * When a channel with a gap is told, and what: at once `false` where the protocol does not
 * recover (nothing will be replayed); else on the server's answer, complete only when it says
 * it recovered (an answer that does not say cannot be trusted to have).
 */
export function gapOutcome(recovers: boolean, answer: { recovered?: boolean } | undefined): boolean | undefined {
  if (!recovers) return false;
  if (answer === undefined) return undefined;
  return answer.recovered === true;
}

/**
 * Whether a re-attaching tab's resume is covered by the channel it joins here: only when it
 * brought a position and the channel is at that very position. Otherwise it may have missed
 * messages no replay here brings it, and it is told `complete: false`.
 */
export function rejoinCovered(brought: ChannelPosition | undefined, held: ChannelPosition | undefined): boolean {
  if (brought === undefined || held === undefined) return false;
  return brought.offset === held.offset && brought.epoch === held.epoch && brought.timestamp === held.timestamp;
}
