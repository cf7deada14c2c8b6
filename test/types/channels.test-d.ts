/** Type tests of channels: each handle carries its channel's message type, to handlers and hooks; request() its answer's. */
import { expectTypeOf } from 'vitest';
import type { Broker, ChannelHandle, ChannelMeta, ChannelState, TabwireError } from '../../src/index.ts';
import { type Subscription, useChannel, useSubscription } from '../../src/react.ts';
import { createMemoryBroker } from '../../src/testing.ts';

interface Tick {
  symbol: string;
  price: number;
}

declare const broker: Broker;
const ticker = broker.channel<Tick>('ticker', { symbol: 'ACME' });
expectTypeOf(ticker).toEqualTypeOf<ChannelHandle<Tick>>();
expectTypeOf(ticker.key).toEqualTypeOf<string>();
expectTypeOf(ticker.state).toEqualTypeOf<ChannelState>();
ticker.on((message, meta) => {
  expectTypeOf(message).toEqualTypeOf<Tick>();
  expectTypeOf(meta).toEqualTypeOf<ChannelMeta>();
});
// @ts-expect-error: a Tick handler does not take another message type
ticker.on((message: { other: boolean }) => message);
ticker.onResync((signal) => expectTypeOf(signal.complete).toEqualTypeOf<boolean>());
ticker.onError((error) => expectTypeOf(error).toEqualTypeOf<TabwireError>());
expectTypeOf(broker.channel('untyped')).toEqualTypeOf<ChannelHandle<unknown>>();
expectTypeOf(broker.request<{ ok: boolean }>({ op: 'x' }, { timeoutMs: 100 })).toEqualTypeOf<Promise<{ ok: boolean }>>();

// The memory broker implements them, as every Broker must.
const memory: Broker = createMemoryBroker();
expectTypeOf(memory.channel<Tick>('ticker')).toEqualTypeOf<ChannelHandle<Tick>>();

useChannel<Tick>('ticker', { symbol: 'ACME' }, (message) => expectTypeOf(message.price).toEqualTypeOf<number>());
expectTypeOf(useSubscription<Tick>('ticker')).toEqualTypeOf<Subscription<Tick>>();
expectTypeOf(useSubscription<Tick>('ticker').data).toEqualTypeOf<Tick | undefined>();
