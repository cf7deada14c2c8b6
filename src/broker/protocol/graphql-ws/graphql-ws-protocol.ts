/**
 * The GraphQL over WebSocket preset: the `graphql-transport-ws` protocol that the `graphql-ws`
 * package's servers speak (docs/protocols-graphql-ws.md). A channel is one GraphQL operation,
 * `{ name: operationName or 'graphql', params: { query, variables?, operationName?, extensions? } }`;
 * `request()` runs a query or mutation and answers with its result. GraphQL has no replay:
 * every gap tells a channel's tabs `complete: false`.
 */
import { GRAPHQL_TRANSPORT_WS_PROTOCOL } from 'graphql-ws/client';
import type { ChannelProtocol, DialectContext } from '../channel-dialect.ts';
import { invalidArgument } from '../preset-errors.ts';
import { GraphqlWsSocketState, type GraphqlWsConnection } from './connection.ts';

export interface GraphqlWsOptions {
  /**
   * How the socket authenticates: `'token'` puts a tab's token in the `connection_init` payload;
   * `'cookie'` sends none (the upgrade request's cookies did), and no tab is asked for one.
   * @default 'token'
   */
  auth?: 'token' | 'cookie';
  /** The `connection_init` payload's field that carries the token. @default 'authorization' */
  tokenField?: string;
  /** Written before the token in that field, such as `'Bearer '`. @default '' */
  tokenPrefix?: string;
  /** More JSON fields of the `connection_init` payload, the same for every socket; the token's field wins. @default {} */
  connectionParams?: Record<string, unknown>;
  /**
   * Whether the client sends `{"type":"ping"}` after `keepAliveMs` without sending, so a dead
   * socket is found by its missing `pong`. graphql-ws servers answer it. @default true
   */
  ping?: boolean;
  /**
   * With `ping`, how long to wait for the server's `pong` before the socket counts as dead and is
   * replaced, in ms. The protocol requires a server to answer every ping. @default 10000
   */
  pongTimeoutMs?: number;
}

export interface GraphqlWsProtocol extends ChannelProtocol {
  auth: 'token' | 'cookie';
  pongTimeoutMs?: number;
  /** The WebSocket subprotocol the upgrade must offer: graphql-ws servers close any other socket with 4406. */
  subprotocols: readonly string[];
  connect(context: DialectContext): GraphqlWsConnection;
}

export function graphqlWsProtocol(options: GraphqlWsOptions = {}): GraphqlWsProtocol {
  const { auth = 'token', tokenField = 'authorization', tokenPrefix = '', connectionParams = {}, ping = true, pongTimeoutMs = 10_000 } = options;
  if (typeof connectionParams !== 'object' || connectionParams === null || Array.isArray(connectionParams)) {
    throw invalidArgument('graphqlWsProtocol: `connectionParams` must be an object');
  }
  if (typeof tokenField !== 'string' || tokenField.length === 0) {
    throw invalidArgument('graphqlWsProtocol: `tokenField` must be a non-empty string');
  }
  if (typeof pongTimeoutMs !== 'number' || !Number.isFinite(pongTimeoutMs) || pongTimeoutMs <= 0) {
    throw invalidArgument('graphqlWsProtocol: `pongTimeoutMs` must be a positive number of ms');
  }
  const initPayload = (token: string | undefined) => {
    const payload = auth === 'token' && token !== undefined ? { ...connectionParams, [tokenField]: `${tokenPrefix}${token}` } : { ...connectionParams };
    return Object.keys(payload).length > 0 ? payload : undefined;
  };
  return {
    auth,
    subprotocols: [GRAPHQL_TRANSPORT_WS_PROTOCOL],
    ...(ping ? { pongTimeoutMs } : {}),
    recovers: false,
    binary: false,
    connect: (context) => new GraphqlWsSocketState(context, () => initPayload(context.token), ping),
  };
}
