/**
 * What a broker sends a tab on its stream (rule 11: the data plane), dispatched by kind:
 * batches of events, states, resync signals, errors, token asks, newer builds.
 */
import { type StreamMessage, type TabAck, streamAckEvery } from '../link/messages.ts';
import type { TabwireErrorData } from '../link/errors.ts';
import type { RealtimeEvent } from '../link/events.ts';
import type { Endpoint } from '../link/rpc.ts';
import type { ConnectionState } from './connection-state.ts';
import type { Link } from './link.ts';
import type { Router } from './router.ts';
import { answerTokenAsk } from './token-answers.ts';
import { type AppListeners, notify } from './listeners.ts';
import type { ConnectOptions, CookieConnectOptions } from './options.ts';
import type { Upgrades } from './upgrade.ts';
import type { TabChannels } from './channels.ts';

export interface StreamParts {
  /** The app's options: its `getToken` and `refreshToken` answer the broker's asks. */
  options: ConnectOptions | CookieConnectOptions;
  router: Router;
  connection: ConnectionState;
  /** The link in use, and the one being attached while none is. */
  links: { readonly current: Link | undefined; readonly connecting: Link | undefined };
  listeners: AppListeners;
  report(error: unknown): void;
  emitError(error: TabwireErrorData): void;
  /** Told when a newer build of this endpoint's broker is live. */
  upgrades: Pick<Upgrades, 'announce' | 'bindChannels' | 'channelMessage'>;
  /** This tab's channels: their messages, states and resyncs (through the upgrades, which hold them during a move). */
  channels: Pick<TabChannels, 'deliver' | 'stateChanged' | 'resynced' | 'retell' | 'forgetPositions'>;
}

/**
 * The listener for the stream of link `from`. Batches of events and of channel messages are
 * acknowledged once processed, `streamAckEvery` at a time, and once at the start: the broker
 * bounds what a tab leaves unread (broker/tab-backlog.ts), and a tab that stops reading is told
 * when it reads again.
 */
export const streamListener = (parts: StreamParts) => {
  parts.upgrades.bindChannels(parts.channels);
  return (stream: Endpoint, from: Link) => listen(parts, stream, from);
};

function listen(parts: StreamParts, stream: Endpoint, from: Link): (event: MessageEvent) => void {
  const ack = (n: number) => {
    try {
      stream.postMessage({ k: 'ack', n } satisfies TabAck);
    } catch {
      // The channel closed under us (a link being left): nobody is there to bound us.
    }
  };
  ack(0);
  let unacked = 0;
  return (event: MessageEvent) => {
    const message = event.data as StreamMessage;
    if (message.k === 'ev') parts.router.deliver(JSON.parse(message.d) as RealtimeEvent[], message.r === 1, message.d);
    else dispatch(parts, stream, from, message);
    // Channel batches are bounded with event batches: both are acknowledged.
    if (message.k !== 'ev' && message.k !== 'cm') return;
    if (++unacked < streamAckEvery) return;
    ack(unacked);
    unacked = 0;
  };
}

/** Every stream message but a batch of events, by kind. */
function dispatch(parts: StreamParts, stream: Endpoint, from: Link, message: Exclude<StreamMessage, { k: 'ev' }>): void {
  switch (message.k) {
    case 'st': {
      from.status = message.s;
      from.reason = message.r;
      if (message.s === 'open') from.markOpen();
      // The link in use speaks for the connection state, or the one being attached when none is.
      const { current, connecting } = parts.links;
      if (from === current || (!current && from === connecting)) {
        from.sawState = true;
        parts.connection.set(message.s, message.r);
      }
      return;
    }
    case 'rs':
      if (message.s.reason !== 'slow-tab') parts.router.gapClosed();
      if (message.s.reason === 'session-changed') parts.channels.forgetPositions();
      return notify(parts.listeners.resync, message.s, parts.report);
    case 'gap':
      return parts.router.gapOpened(message.s);
    case 'er':
      return parts.emitError(message.e);
    case 'ask':
      return void answerTokenAsk(stream, message.id, message.fn, parts.options);
    case 'up':
      return parts.upgrades.announce(message.n);
    case 'cm':
    case 'cs':
    case 'cr':
      // Only the link that speaks for this tab's channels is heard, and during a move they wait.
      return parts.upgrades.channelMessage(from, message);
  }
}
