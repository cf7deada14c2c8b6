/** Type tests of `tabwire/testing`: the memory broker is a `Broker` of the app's map, with no cast. */
import { expectTypeOf } from 'vitest';
import type { Broker, RealtimeEvent } from '../../src/index.ts';
import { type MemoryBroker, createMemoryBroker } from '../../src/testing.ts';

interface AppEvents {
  'chat.message': { text: string };
}

const broker: Broker = createMemoryBroker();
const typed: Broker<AppEvents> = createMemoryBroker<AppEvents>();
expectTypeOf(createMemoryBroker<AppEvents>()).toEqualTypeOf<MemoryBroker<AppEvents>>();
typed.on('chat.message', (event) => expectTypeOf(event.data.text).toEqualTypeOf<string>());
expectTypeOf(createMemoryBroker().emit('goal.created', { goalId: 'g' })).toEqualTypeOf<RealtimeEvent>();
void broker;
