/**
 * The tab ↔ broker link: what travels between a tab and the worker (or the
 * leader tab). Calls go over the control channel as RPC (see rpc.ts); the
 * stream of events and notices goes over a port of its own as plain messages,
 * batched (docs/architecture.md, rule 11).
 *
 * `linkVersion` changes when this file changes incompatibly; a tab moves to a
 * worker of another build only when their link versions match.
 */
import type { ConnectionStatus, TransitionReason } from './states.ts';
import type { ResyncSignal } from './states.ts';
import type { TabwireErrorData } from './errors.ts';
import type { JsonProtocolOptions } from './protocol-option.ts';
import type { SseOptions } from './transport-option.ts';
import type { ChannelPosition, HeldChannel } from './channels.ts';

export const linkVersion = 1;

/** How long the broker lets `recent()` wait for a session before it answers NOT_READY; the tab's bound adds it, in ms. */
export const recentSessionWaitMs = 10_000;

/** The broker options that travel to the worker: plain data only. */
export interface BrokerConfig {
  url: string;
  tenantId?: string;
  /**
   * The hash of the app's `sessionKey` (16 hex digits), never the key itself: the broker
   * serves one account, and names its log with it. Absent without a `sessionKey`.
   */
  sessionKey?: string;
  eventsSinceUrl?: string;
  resyncSettleMs: number;
  replayOverlapMs: number;
  replayLimit: number;
  replayTimeoutMs: number;
  logMaxEvents: number;
  logMaxAgeMs: number;
  logEnabled: boolean;
  keepAliveMs: number;
  minDelayMs: number;
  maxDelayMs: number;
  retryDelaysMs?: number[];
  /** Failed tries in a row after which the broker stops retrying; Infinity: never stops. */
  maxAttempts: number;
  handshakeTimeoutMs: number;
  healthyAfterMs: number;
  tokenTimeoutMs: number;
  maxBufferedMessages: number;
  maxFrameBytes: number;
  lingerMs: number;
  /** How long a channel stays subscribed at the server after its last tab let go, in ms. @default `defaultChannelLingerMs` */
  channelLingerMs?: number;
  invalidPayloads: 'drop' | 'pass';
  normalizeKeys: boolean;
  /**
   * The backend's dialect when it is not PurposePath's (the default): as the app gave it from a
   * tab, every default filled in once the broker checked it.
   */
  protocol?: JsonProtocolOptions;
  /** The app's payload schemas by type (compact form), on top of the dialect's own. */
  schemas?: Record<string, string>;
  /**
   * A Server-Sent Events stream instead of a WebSocket (`url` is then http: or https:): as the app
   * gave it, every default filled in once the broker checked it. Absent: a WebSocket.
   */
  transport?: SseOptions;
}

export interface AttachRequest {
  tabId: string;
  linkVersion: number;
  buildId: string;
  /** The Web Lock this tab holds for its lifetime; the broker waits on it to learn of its death. */
  lockName: string;
  config: BrokerConfig;
  patterns: string[];
  online: boolean;
  visible: boolean;
  /** This tab wants the tenant filter of its own `tenantId`. */
  tenantId?: string;
  /**
   * A tab re-attaching after its broker died: the time (ISO) of the last event
   * it received. The broker sends it what its log holds since, and a resync.
   */
  since?: string;
  /**
   * A tab re-attaching after its broker died that had received no event yet: it cannot
   * say since when it may have missed events, so the broker tells it to refetch.
   */
  resumed?: true;
  /**
   * A tab re-attaching after its broker died whose last state was `closed` by `logout`: a
   * broker that has no session yet stays logged out too, as the one that died would have.
   */
  loggedOut?: true;
  /**
   * The channels this tab holds, each with the position of the last message it saw: a broker that
   * does not hold them yet subscribes them from there (a tab moving to a new worker, leader or build).
   */
  channels?: HeldChannel[];
}

export interface AttachReply {
  brokerId: string;
  buildId: string;
  /** The Web Lock the broker holds for its lifetime; granted to a waiting tab when it dies. */
  brokerLock: string;
  status: ConnectionStatus;
  reason: TransitionReason;
}

/** Broker → tab, on the stream port. */
export type StreamMessage =
  /** A batch of events: `d` is the JSON text of an Envelope[] (one parse per batch in the tab); `r` marks replayed events. */
  | { k: 'ev'; d: string; r?: 1 }
  | { k: 'st'; s: ConnectionStatus; p: ConnectionStatus; r: TransitionReason }
  | { k: 'rs'; s: ResyncSignal }
  /**
   * A gap opened at `s` (ISO, server time; the epoch when only the browser's clock could place it):
   * until its resync comes, a tab re-attaching to another broker resumes from there, not from the
   * live events after it. What a stored last-seen does for a broker with a log, for one without.
   */
  | { k: 'gap'; s: string }
  | { k: 'er'; e: TabwireErrorData }
  /** Ask this tab to run the app's `getToken` or `refreshToken`; answered with `TabAnswer`. */
  | { k: 'ask'; id: number; fn: 'getToken' | 'refreshToken' }
  /** A newer build of this endpoint's broker exists; the tab may move to it. */
  | { k: 'up'; n: UpgradeNotice }
  /**
   * A batch of channel messages: `d` is the JSON text of `ChannelDelivery[]` (one parse per batch).
   * Only to the tabs holding each channel.
   */
  | { k: 'cm'; d: string }
  /** A channel's state changed for this tab: subscribed, refused or ended with an error (`e`), or complete. */
  | { k: 'cs'; c: string; s: 'subscribed' | 'error' | 'complete'; e?: TabwireErrorData }
  /** A gap of one channel closed: `complete` false when messages may be missing. */
  | { k: 'cr'; c: string; s: { complete: boolean } };

/** One channel message in a `cm` batch: the channel's key, the data, its position, and 1 when replayed after a gap. */
export type ChannelDelivery = [key: string, data: unknown, position?: ChannelPosition | null, replayed?: 1];

/** What a tab needs to know to move to the broker of a newer build. */
export interface UpgradeNotice {
  buildId: string;
  /** How that broker is reached. */
  mode: 'worker' | 'leader';
  /** For a worker: its script URL and name, to attach to that very worker. */
  script?: string;
  name?: string;
  /** True when this tab can move there without a reload (same link version, same kind of host). */
  compatible: boolean;
}

/** Tab → broker, on the stream port: the answer to an `ask`. */
/**
 * A tab processed `n` more event batches of its stream (`n: 0` when its stream opens: it
 * acknowledges, so the broker bounds what it leaves unread; broker/tab-backlog.ts).
 */
export type TabAck = { k: 'ack'; n: number };

/** A tab acknowledges its stream's batches this many at a time. */
export const streamAckEvery = 8;

export type TabAnswer =
  | { k: 'ans'; id: number; ok: true; token?: string }
  | {
      k: 'ans';
      id: number;
      ok: false;
      e: TabwireErrorData;
      /**
       * 1: "this tab cannot do that, ask another": it has no `refreshToken`, or its `getToken`
       * gave no token (null, undefined, ''). Not a refusal: the broker asks the next tab, and
       * ends in `unauthorized` only if no tab could. Absent: the app's function threw or
       * rejected, a refusal.
       */
      n?: 1;
    };

/** What `recent()` asks the log for. */
export interface RecentQuery {
  /** Exact type or pattern (`goal.*`, `*`). */
  type?: string;
  /** Only events after this instant: an ISO 8601 timestamp or a Date. */
  since?: string | Date;
  /** Newest N, returned oldest first. @default 100 */
  limit?: number;
}
