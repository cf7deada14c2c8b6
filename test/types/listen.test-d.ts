/**
 * Type tests of `on` with `{ signal }` and of `once`: the event is typed by the pattern as `on`'s
 * handler is, and `once` resolves with it.
 */
import { expectTypeOf } from 'vitest';
import { type Broker, type EventOf, type RealtimeEvent, connectBroker } from '../../src/index.ts';
import type { DefaultEvents } from '../../src/link/events.ts';

const broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't' });
const { signal } = new AbortController();

expectTypeOf(broker.on('goal.created', () => {}, { signal })).toEqualTypeOf<() => void>();
broker.on('goal.created', (event) => expectTypeOf(event.data.goalId).toEqualTypeOf<string>(), { signal });
// @ts-expect-error the options are an object with a signal
broker.on('goal.created', () => {}, signal);

expectTypeOf(broker.once('goal.created')).toEqualTypeOf<Promise<EventOf<DefaultEvents, 'goal.created'>>>();
expectTypeOf(broker.once('goal.*', { signal })).toEqualTypeOf<Promise<EventOf<DefaultEvents, 'goal.*'>>>();
expectTypeOf(broker.once('custom.thing')).toEqualTypeOf<Promise<RealtimeEvent>>();
void broker.once('goal.completed').then((event) => expectTypeOf(event.type).toEqualTypeOf<'goal.completed'>());

// The other listeners take a signal too.
expectTypeOf<Parameters<Broker['onState']>[1]>().toEqualTypeOf<{ signal?: AbortSignal } | undefined>();
expectTypeOf<Parameters<Broker['onResync']>[1]>().toEqualTypeOf<{ signal?: AbortSignal } | undefined>();
expectTypeOf<Parameters<Broker['onError']>[1]>().toEqualTypeOf<{ signal?: AbortSignal } | undefined>();
expectTypeOf<Parameters<Broker['onUpgrade']>[1]>().toEqualTypeOf<{ signal?: AbortSignal } | undefined>();
