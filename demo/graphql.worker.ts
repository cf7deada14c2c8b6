/**
 * A worker entry written as docs/protocols-graphql-ws.md tells an app to: the broker started with
 * the GraphQL over WebSocket preset from its own entry (src/graphql-ws.ts), for the GraphQL e2e
 * spec against the test server (test/support/graphql-server.ts). The harness's tokens are the
 * mock backend's, which that server does not know: the handshake carries the token it accepts.
 */
import { startSharedWorkerBroker } from '../worker/broker.worker.ts';
import { graphqlWsProtocol } from '../src/graphql-ws.ts';

startSharedWorkerBroker({ protocol: graphqlWsProtocol({ auth: 'cookie', connectionParams: { authorization: 'good-token' } }) });
