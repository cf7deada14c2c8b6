/** `tabwire/testing`: a `Broker` in memory for an app's own tests (src/testing/memory-broker.ts). */
export { createMemoryBroker } from './testing/memory-broker.ts';
export type { MemoryBroker, MemoryBrokerCalls, MemoryBrokerOptions } from './testing/memory-broker.ts';
