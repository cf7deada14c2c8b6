// Public exports only.
export { connectBroker, tabwireBuild } from './client.ts';
export type { Broker, BrokerState, SendOptions, StateListener, UpgradeNotice } from './client.ts';
export type { Sharing } from './host.ts';
export type { ConnectOptions } from './options.ts';
export { TabwireError } from './errors.ts';
export type { TabwireErrorCode, TabwireErrorData } from './errors.ts';
export type { ConnectionStatus, TransitionReason } from './core/connection.ts';
export type { ResyncSignal, GapReason } from './core/resync.ts';
export type { RecentQuery } from './ports.ts';
export type { Envelope } from './protocol/envelope.ts';
export type { EventMap, EventOf, PatternOf, RealtimeEvent, AnyEventOf, DefaultEvents, DomainTypes } from './events.ts';
export type * from './protocol/catalogue.ts';
export type { BrokerStats } from '../worker/broker.ts';
