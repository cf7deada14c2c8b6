/**
 * The control plane's contract (docs/architecture.md, rule 11): the calls a broker answers
 * on a tab's control channel, and the channels they go over. The tab makes the calls
 * (tab/control-client.ts), the broker answers them (broker/control.ts).
 */
import type { Envelope } from './envelope.ts';
import type { AttachReply, AttachRequest, RecentQuery } from './messages.ts';
import type { BrokerStats } from './stats.ts';
import type { BrokerDebug } from './debug.ts';
import type { ChannelPosition, ChannelSpec } from './channels.ts';

/** Anything with postMessage and message listeners: a MessagePort, a SharedWorker port, a BroadcastChannel. */
export interface Endpoint {
  postMessage(message: unknown, transfer?: Transferable[]): void;
  addEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  removeEventListener(type: 'message', listener: (event: MessageEvent) => void): void;
  start?: () => void;
}

type Answer<T> = T | Promise<T>;

/** The calls a broker answers on a tab's control channel. */
export interface ControlApi {
  /** `stream`: the tab's data-plane port, where ports can be transferred (the SharedWorker). */
  attach(request: AttachRequest, stream?: MessagePort): Answer<AttachReply>;
  /** `closing`: the tab's `close()` (it told the app CLOSED for what it still waited on), not a move elsewhere. */
  detach(closing?: boolean): void;
  subscribe(pattern: string): void;
  unsubscribe(pattern: string): void;
  signal(signal: { online?: boolean; visible?: boolean }): void;
  send(message: unknown, options?: { volatile?: boolean }): Answer<boolean>;
  recent(query?: RecentQuery): Answer<Envelope[]>;
  stats(): Answer<BrokerStats>;
  debug(): Answer<BrokerDebug>;
  logout(): Answer<void>;
  reconnect(): void;
  /** Hold a channel (from `from`, when the broker does not hold it yet); answers its key. */
  channel(spec: ChannelSpec, from?: ChannelPosition): Answer<string>;
  /** Let go of a channel by its key. */
  unchannel(key: string): void;
  /** A request over the shared socket, answered by the server's answer; `timeoutMs` bounds it in the broker. */
  request(message: unknown, timeoutMs: number): Answer<unknown>;
}

export type ControlMethod = keyof ControlApi;
