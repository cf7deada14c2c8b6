/**
 * A real GraphQL over WebSocket server for tests: the `graphql-ws` package's `useServer` on a `ws`
 * WebSocketServer, on 127.0.0.1 and a free port, with the schema of graphql-schema.ts. Auth is
 * checked in `onConnect` (a refused `connection_init` closes the socket with 4403, as graphql-ws
 * does). It counts what a test asserts sharing with: sockets, handshakes, pings, and operations
 * started and completed per (query, variables). Every server started is kept until
 * `disposeGraphqlServers()`, which a test file runs after each test, so none outlives its test.
 */
import type { AddressInfo } from 'node:net';
import { execute, parse, subscribe, validate } from 'graphql';
import { useServer } from 'graphql-ws/use/ws';
import { WebSocketServer, type WebSocket } from 'ws';
import { PubSub } from './graphql-pubsub.ts';
import { graphqlSchema } from './graphql-schema.ts';

export interface GraphqlServerOptions {
  /** Values of `connection_init`'s `authorization` the server accepts. @default ['good-token'] */
  tokens?: string[];
}

export interface OperationCounts {
  started: number;
  completed: number;
}

export interface GraphqlServer {
  /** `ws://127.0.0.1:<port>/graphql` */
  url: string;
  counts: { sockets: number; handshakes: number; refused: number; pings: number; pongs: number };
  /** How many subscribe messages with this query and variables arrived, and how many of those operations ended. */
  operations(query: string, variables?: Record<string, unknown>): OperationCounts;
  /** Resolvers listening on a pub/sub topic now (`ticks(channel)`: the channel; `goal(id)`: `goal:<id>`). */
  listening(topic: string): number;
  publish(topic: string, text: string): number;
  /** Sends the protocol's `{"type":"ping"}` on every open socket (graphql-ws servers ping only at the WebSocket level). */
  pingClients(): void;
  /** Closes every socket with this code, as a server that ends sessions does. */
  closeClients(code: number, reason: string): void;
  dispose(): Promise<void>;
}

const live = new Set<GraphqlServer>();

const operationKey = (query: string, variables: unknown) => JSON.stringify([query, variables ?? null]);

export async function startGraphqlServer(options: GraphqlServerOptions = {}): Promise<GraphqlServer> {
  const tokens = new Set(options.tokens ?? ['good-token']);
  const pubsub = new PubSub<string>();
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0 });
  await new Promise<void>((resolve, reject) => wss.once('listening', resolve).once('error', reject));
  const counts = { sockets: 0, handshakes: 0, refused: 0, pings: 0, pongs: 0 };
  const operations = new Map<string, OperationCounts>();
  const countOf = (query: string, variables: unknown) => {
    const key = operationKey(query, variables);
    const found = operations.get(key) ?? { started: 0, completed: 0 };
    operations.set(key, found);
    return found;
  };
  wss.on('connection', () => counts.sockets++);
  const disposer = useServer(
    {
      schema: graphqlSchema(pubsub),
      // graphql-ws, loaded by Node, imports graphql's production build; Vitest resolves this file's
      // `graphql` to the development build, a second instance whose schema the first refuses.
      // The server runs the operations with the instance that built the schema.
      parse,
      validate,
      execute,
      subscribe,
      onConnect: (ctx) => {
        const accepted = tokens.has(String(ctx.connectionParams?.authorization));
        if (accepted) counts.handshakes++;
        else counts.refused++;
        return accepted;
      },
      onSubscribe: (_ctx, _id, payload) => void countOf(payload.query, payload.variables).started++,
      onComplete: (_ctx, _id, payload) => void countOf(payload.query, payload.variables).completed++,
      onPing: () => void counts.pings++,
      onPong: () => void counts.pongs++,
    },
    wss,
    0,
  );
  const clients = () => [...wss.clients].filter((socket: WebSocket) => socket.readyState === socket.OPEN);
  const server: GraphqlServer = {
    url: `ws://127.0.0.1:${(wss.address() as AddressInfo).port}/graphql`,
    counts,
    operations: (query, variables) => ({ ...countOf(query, variables) }),
    listening: (topic) => pubsub.listening(topic),
    publish: (topic, text) => pubsub.publish(topic, text),
    pingClients: () => clients().forEach((socket) => socket.send(JSON.stringify({ type: 'ping' }))),
    closeClients: (code, reason) => clients().forEach((socket) => socket.close(code, reason)),
    dispose: async () => {
      if (!live.delete(server)) return;
      for (const socket of wss.clients) socket.terminate();
      await disposer.dispose();
    },
  };
  live.add(server);
  return server;
}

/** Stops every server still running; run after each test of a file that starts them. */
export async function disposeGraphqlServers(): Promise<void> {
  await Promise.all([...live].map((server) => server.dispose()));
}
