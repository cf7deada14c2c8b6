/**
 * `tabwire/socket-io`: the Socket.IO v4 preset, for an app's own worker entry
 * (`startSharedWorkerBroker({ protocol: socketIoProtocol() })`, docs/protocols-socket-io.md).
 * An entry of its own, so only apps that speak Socket.IO carry it.
 */
export { socketIoProtocol, socketIoUrl } from './broker/protocol/socket-io/socket-io-protocol.ts';
export type { SocketIoOptions, SocketIoRoute } from './broker/protocol/socket-io/options.ts';
