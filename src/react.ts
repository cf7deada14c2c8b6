/** `tabwire/react`: the React bindings (src/tab/react.ts). */
export * from './tab/react.ts';
export { useChannel, useSubscription, type ChannelOptions, type Subscription, type SubscriptionOptions } from './tab/react-channels.ts';
export type { ChannelHandle, ChannelMeta, ChannelResync } from './tab/channels.ts';
