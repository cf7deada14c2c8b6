/** Type test of `debug()`: a described snapshot (`BrokerDebug`), no `unknown` at the boundary. */
import { expectTypeOf } from 'vitest';
import { type BrokerDebug, type BrokerStats, type ConnectionStatus, type TransitionReason, connectBroker } from '../../src/index.ts';

const broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't' });
expectTypeOf(broker.debug()).toEqualTypeOf<Promise<BrokerDebug>>();
expectTypeOf<BrokerDebug['stats']>().toEqualTypeOf<BrokerStats>();
expectTypeOf<BrokerDebug['tabs'][number]>().toEqualTypeOf<{ id: string; visible: boolean; patterns: string[] }>();
expectTypeOf<BrokerDebug['transitions'][number]>().toEqualTypeOf<{ at: number; from: ConnectionStatus; to: ConnectionStatus; reason: TransitionReason }>();
expectTypeOf<BrokerDebug['gap']['phase']>().toEqualTypeOf<'fresh' | 'live' | 'gap' | 'settling'>();
expectTypeOf<NonNullable<BrokerDebug['config']>['url']>().toEqualTypeOf<string>();
expectTypeOf<BrokerDebug>().not.toHaveProperty('token');
