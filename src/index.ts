// Public exports only.
export { connectBroker } from './tab/client.ts';
export type { Broker, SendOptions } from './tab/client.ts';
export type { StateListener } from './tab/connection-state.ts';
export type { ListenOptions } from './tab/listeners.ts';
export { tabwireBuild } from './link/build-id.ts';
export type { UpgradeNotice } from './link/messages.ts';
export type { Sharing } from './tab/hosts/host.ts';
export type { ConnectOptions, CookieConnectOptions } from './tab/options.ts';
export type { EnvelopeFields, JsonProtocolOptions, KeepAliveSpec, ProtocolOption, TokenAuth, ControlTypes } from './link/protocol-spec.ts';
export { TabwireError } from './link/errors.ts';
export type { TabwireErrorCode, TabwireErrorData } from './link/errors.ts';
export type { ConnectionStatus, TransitionReason } from './link/states.ts';
export type { ResyncSignal, GapReason } from './link/states.ts';
export type { RecentQuery } from './link/messages.ts';
export type { Envelope } from './link/envelope.ts';
export type { EventMap, EventOf, PatternOf, RealtimeEvent, AnyEventOf, DefaultEvents, DomainTypes } from './link/events.ts';
export type * from './link/catalogue.ts';
export type { BrokerStats } from './link/stats.ts';
