/**
 * Channel messages while this tab moves to a newer build's broker (upgrade.ts). Both brokers
 * relay a channel for a while, and channel positions are opaque (an offset, a timestamp), so
 * their messages cannot be matched as events are (handoff.ts). Instead the attach request
 * carries each channel's position of the last message delivered (channels.ts `held`), and from
 * the start of the move the channel stream messages (cm, cs, cr) of each link wait here, in
 * order: once the move is made the new broker's are delivered and the old one's dropped (the new
 * broker resumes each channel from that position, or tells it `complete: false`), and channels
 * opened or let go meanwhile, which the calls told the old broker, are told the new one; once it is
 * given up the old one's are delivered and the new one's dropped. Outside a move only the link
 * in use, or the one attaching while none is, speaks for channels: a link being left is not
 * heard, so a late state or resync of the broker left does not reach the app as current.
 */
import type { StreamMessage } from '../link/messages.ts';
import type { ChannelDelivery } from '../link/messages.ts';
import type { Link } from './link.ts';
import type { TabChannels } from './channels.ts';

/** The stream messages of channels. */
export type ChannelStreamMessage = Extract<StreamMessage, { k: 'cm' | 'cs' | 'cr' }>;

/** Where channel messages go: this tab's channels. */
export type ChannelSink = Pick<TabChannels, 'deliver' | 'stateChanged' | 'resynced' | 'retell'>;

/**
 * How many channel stream messages wait during a move at most, both links together; past it
 * messages and resyncs are dropped, and their channels told `complete: false` when the move
 * ends (by the link kept), and of states only each channel's last is kept.
 */
export const maxHeldChannelMessages = 4096;

export interface ChannelHold {
  /** This tab's channels, where messages go (bound once, by the stream). */
  bind(channels: ChannelSink): void;
  /** A move from `from` (the link in use) starts: channel messages wait from now. */
  begin(from: Link | undefined): void;
  /** A channel stream message of `from`: to the channels now, held while a move is under way, or dropped. */
  take(from: Link, message: ChannelStreamMessage): void;
  /**
   * The move ended with `kept` in use: its held messages are delivered, the others' dropped.
   * `moved`: `kept` is the new link, so what changed in the channels since its attach request is told there.
   */
  end(kept: Link | undefined, moved: boolean): void;
}

/** `links`: which link is in use, and which attaches while none is (never a move's). */
export function channelHold(links: { readonly current: Link | undefined; readonly connecting: Link | undefined }, maxHeld = maxHeldChannelMessages): ChannelHold {
  let moving = false;
  /** The link in use when the move under way started. */
  let movingFrom: Link | undefined;
  /** In order up to `maxHeld`; past it, per link, each channel's last state and `complete: false` for what was dropped. */
  let held: Array<[Link, ChannelStreamMessage]> = [];
  let sink: ChannelSink | undefined;

  const hold = (from: Link, message: ChannelStreamMessage): void => {
    if (held.length < maxHeld) return void held.push([from, message]);
    // Past it a channel still gets its last state (a state may end it), and a message or resync
    // lost becomes one `complete: false`, told only if that link is kept: at most two entries per link and channel.
    for (const c of keysOf(message)) {
      const last: ChannelStreamMessage = message.k === 'cs' ? message : { k: 'cr', c, s: { complete: false } };
      held.push(...held.splice(maxHeld).filter(([link, m]) => link !== from || m.k !== last.k || (m as typeof last).c !== c), [from, last]);
    }
  };

  return {
    bind(channels) {
      sink = channels;
    },
    begin(from) {
      moving = true;
      movingFrom = from;
    },
    take(from, message) {
      const { current, connecting } = links;
      const speaks = from === current || (!current && from === connecting);
      // During a move the link it started from waits, and so does every link that does not speak (the
      // move's own among them), even once the one in use was lost: then the move is given up, and the
      // link re-attaching speaks at once.
      if (moving && (from === movingFrom || !speaks)) hold(from, message);
      else if (sink && speaks) deliver(sink, message);
    },
    end(kept, moved) {
      const inUse = kept !== undefined && kept === links.current;
      const waited = held;
      moving = false;
      movingFrom = undefined;
      held = [];
      if (!sink || !inUse) return;
      // Channels opened or let go while the attach request was out went to the broker left.
      if (moved) sink.retell();
      /** Channels whose last word delivered is `complete: false`: told it again, they would count one gap twice. */
      const told = new Set<string>();
      for (const [from, message] of waited) {
        const incomplete = message.k === 'cr' && !message.s.complete;
        if (from !== kept || (incomplete && told.has(message.c))) continue;
        deliver(sink, message);
        if (message.k !== 'cs') for (const key of keysOf(message)) told[incomplete ? 'add' : 'delete'](key);
      }
    },
  };
}

/** The channels a message is about. */
function keysOf(message: ChannelStreamMessage): string[] {
  return message.k === 'cm' ? (JSON.parse(message.d) as ChannelDelivery[]).map(([key]) => key) : [message.c];
}

function deliver(channels: ChannelSink, message: ChannelStreamMessage): void {
  switch (message.k) {
    case 'cm':
      return channels.deliver(JSON.parse(message.d) as ChannelDelivery[]);
    case 'cs':
      return channels.stateChanged(message.c, message.s, message.e);
    case 'cr':
      return channels.resynced(message.c, message.s);
  }
}
