/**
 * What a GraphQL over WebSocket server meant by closing the socket with a code, in the words the
 * connection machine reacts to (docs/protocols-graphql-ws.md, "Close codes"). graphql-ws's own
 * client sorts codes into "retry" and "fatal" (`isFatalInternalCloseCode` and the list in
 * `shouldRetryConnectOrThrow`); this keeps its sorting, with one difference: 4401, which the
 * library sends only for a `subscribe` before the `connection_ack` (this dialect never sends one),
 * so a 4401 here comes from the app's own auth and is read like 4403, a refused credential.
 */
import { CloseCode } from 'graphql-ws/client';
import type { DialectMessage } from '../channel-dialect.ts';

/** The server closed with a standard code that is no error, or one graphql-ws retries: reconnect after a backoff. */
const ordinaryCloses = new Set<number>([1000, 1001, 1005, 1006, 1012, 1013, 1014]);

/**
 * Codes graphql-ws's client never retries: this client or the server broke the protocol, and a
 * socket that says the same again is closed again. Each is a refusal named for the code; the
 * machine retries an unknown refusal code after its backoff, so a deploy that fixes the server
 * is still reached, at the backoff's pace instead of at once.
 */
const fatalCodes: ReadonlyMap<number, string> = new Map([
  [CloseCode.BadRequest, 'BAD_REQUEST'],
  [CloseCode.BadResponse, 'BAD_RESPONSE'],
  [CloseCode.InternalClientError, 'INTERNAL_CLIENT_ERROR'],
  [CloseCode.InternalServerError, 'INTERNAL_SERVER_ERROR'],
  [CloseCode.SubprotocolNotAcceptable, 'SUBPROTOCOL_NOT_ACCEPTABLE'],
  [CloseCode.SubscriberAlreadyExists, 'SUBSCRIBER_ALREADY_EXISTS'],
  [CloseCode.TooManyInitialisationRequests, 'TOO_MANY_INITIALISATION_REQUESTS'],
]);

/** How much of the server's close reason a refusal's message keeps. */
const reasonChars = 120;

/**
 * The refusal a close code carries, or undefined when the close is an ordinary drop to reconnect
 * from (normal closes, timeouts of the handshake, 4499 "terminated", codes of the app's own).
 */
export function closeRefusal(code: number, reason: string): DialectMessage | undefined {
  const said = reason ? `: ${reason.slice(0, reasonChars)}` : '';
  if (code === CloseCode.Unauthorized || code === CloseCode.Forbidden) {
    return { kind: 'refused', code: 'UNAUTHORIZED', message: `the GraphQL server refused the connection (${code})${said}` };
  }
  const fatal = fatalCodes.get(code);
  if (fatal) return { kind: 'refused', code: fatal, message: `the GraphQL server closed the socket (${code})${said}` };
  if (code >= 1000 && code <= 1999 && !ordinaryCloses.has(code)) {
    return { kind: 'refused', code: 'PROTOCOL_ERROR', message: `the socket closed with ${code}${said}` };
  }
  return undefined;
}
