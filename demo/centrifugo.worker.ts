// docs:start — docs/protocols.md "A channel protocol in code: a Centrifugo-like example" shows the lines to docs:end, importing from 'tabwire/worker'.
// src/realtime.worker.ts: the SharedWorker's entry, which runs the broker with that protocol.
import { startSharedWorkerBroker } from '../worker/broker.worker.ts';
import { centrifugoProtocol } from './centrifugo-protocol.ts';

startSharedWorkerBroker({ protocol: centrifugoProtocol });
// docs:end
