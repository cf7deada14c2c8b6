/**
 * The SharedWorker entry (`tabwire/worker`). Run as the worker's script, it starts the
 * broker with the dialect the tabs' options describe, a task after the first tab connects.
 * Imported by an app's own worker entry, it lends `startSharedWorkerBroker` for a
 * dialect written in code, which wins even after a top-level `await` (docs/protocols.md).
 */
import { startOnFirstConnect } from '../src/broker/shared-worker.ts';

export { startSharedWorkerBroker, type SharedWorkerBrokerOptions } from '../src/broker/shared-worker.ts';
export { jsonProtocol, purposepathProtocol, validateEnvelope } from '../src/broker/protocol/kit.ts';
export type { Envelope, ParsedFrame, Protocol, ServerFrame, Session } from '../src/broker/protocol/kit.ts';
export type { BackendProtocol, ChannelPosition, ChannelProtocol, ChannelSpec, DialectConnection, DialectContext, DialectMessage, RawFrame } from '../src/broker/protocol/kit.ts';

startOnFirstConnect();
