/**
 * Type tests of the public API's shapes, checked by `tsc`: the `reconnect` group,
 * `connected` beside `ready`, `onError` and `useRealtimeError` handing out
 * `TabwireError`, and `onState` staying positional.
 */
import { expectTypeOf } from 'vitest';
import { type Broker, type ConnectOptions, TabwireError, type TabwireErrorData, type TransitionReason, connectBroker } from '../../src/index.ts';
import { useRealtimeError } from '../../src/react.ts';

type Reconnect = NonNullable<ConnectOptions['reconnect']>;
expectTypeOf<Reconnect['minDelayMs']>().toEqualTypeOf<number | undefined>();
expectTypeOf<Reconnect['maxDelayMs']>().toEqualTypeOf<number | undefined>();
expectTypeOf<Reconnect['delaysMs']>().toEqualTypeOf<number[] | undefined>();
expectTypeOf<Reconnect['delayMs']>().toEqualTypeOf<((attempt: number) => number) | undefined>();
expectTypeOf<Reconnect['maxAttempts']>().toEqualTypeOf<number | undefined>();

const broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't', reconnect: { delayMs: (attempt) => attempt * 1000, maxAttempts: 10 } });
expectTypeOf(broker.ready).toEqualTypeOf<Promise<void>>();
expectTypeOf(broker.connected).toEqualTypeOf<Promise<void>>();
expectTypeOf<Parameters<Parameters<Broker['onError']>[0]>[0]>().toEqualTypeOf<TabwireError>();
expectTypeOf<Parameters<Parameters<typeof useRealtimeError>[0]>[0]>().toEqualTypeOf<TabwireError>();
expectTypeOf<Parameters<Parameters<Broker['onState']>[0]>[2]>().toEqualTypeOf<TransitionReason>();
expectTypeOf<'retries-exhausted'>().toExtend<TransitionReason>();

// Compatible with listeners written for the plain data, and with what they read.
broker.onError((error: TabwireErrorData) => void error.code);
broker.onError((error) => void [error.code, error.message, error.serverCode, error.type, error.cause, error.stack]);
