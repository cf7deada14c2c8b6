/**
 * A worker entry written as docs/protocols.md "Channels" tells an app to: the broker started with
 * a channel dialect in code, here the fake backend's of the tests (test/support/channel-server.ts),
 * for the channels e2e spec.
 */
import { startSharedWorkerBroker } from '../worker/broker.worker.ts';
import { fakeChannelDialect } from '../test/support/fake-channel-dialect.ts';

startSharedWorkerBroker({ protocol: fakeChannelDialect() });
