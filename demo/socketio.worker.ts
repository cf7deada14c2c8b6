/**
 * A worker entry written as docs/protocols-socket-io.md "Setup" tells an app to: the broker
 * started with the Socket.IO preset from its own entry (`tabwire/socket-io`), for the Socket.IO
 * e2e spec against the real `socket.io` server (test/support/socketio-server.ts).
 */
import { startSharedWorkerBroker } from '../worker/broker.worker.ts';
import { socketIoProtocol } from '../src/socket-io.ts';

startSharedWorkerBroker({ protocol: socketIoProtocol({ joinEvent: 'join' }) });
