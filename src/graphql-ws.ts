/**
 * `tabwire/graphql-ws`: the GraphQL over WebSocket preset, for an app's own worker entry
 * (`startSharedWorkerBroker({ protocol: graphqlWsProtocol() })`, docs/protocols-graphql-ws.md).
 * An entry of its own, so only apps that speak GraphQL carry it; `graphql-ws` is the app's.
 */
export { graphqlWsProtocol } from './broker/protocol/graphql-ws/graphql-ws-protocol.ts';
export type { GraphqlWsOptions, GraphqlWsProtocol } from './broker/protocol/graphql-ws/graphql-ws-protocol.ts';
