/**
 * How the broker reaches the server, as plain data (it travels to the worker with the config):
 * a WebSocket (the default) or a Server-Sent Events stream (docs/protocols.md "Server-Sent
 * Events"). The broker checks it and fills in its defaults (broker/transports/transport-spec.ts).
 */

/** A Server-Sent Events stream: the server pushes, nothing goes upstream. */
export interface SseOptions {
  type: 'sse';
  /**
   * `eventsource`: the browser's `EventSource` (GET, cookies, no headers of its own); `fetch`: a
   * stream read with `fetch`, for an `Authorization` header or POST. Where no `EventSource` exists
   * (a worker without it), the fetch reader runs. @default 'eventsource'; 'fetch' with `auth: 'bearer'` or `method: 'POST'`
   */
  reader?: 'eventsource' | 'fetch';
  /**
   * How the stream request authenticates: `'cookie'`, the browser's cookies (no token asked);
   * `'bearer'`, `Authorization: Bearer <getToken()>` (fetch reader); `{ queryParam }`, the token in
   * that query parameter, for a server that takes nothing else (an explicit opt-in: the URL may be
   * logged by servers and proxies; tabwire never logs or reports it). The events-since replay
   * authenticates the same way (cookies, or the bearer header). @default 'cookie'
   */
  auth?: 'cookie' | 'bearer' | { queryParam: string };
  /** @default 'GET' */
  method?: 'GET' | 'POST';
  /** The POST body (text, e.g. JSON), sent with `Content-Type: application/json`. @default none */
  body?: string;
  /**
   * What accepts the session: `'open'`, the stream answering 200 (the server's clock is then
   * ours, the session has no tenant or user); `'event'`, the dialect's acceptance event
   * (`auth.success`, or `control.authSuccess`) naming tenant and user, awaited within
   * `handshakeTimeoutMs`. @default 'open'
   */
  acceptance?: 'open' | 'event';
  /**
   * The server replays every event after the `Last-Event-ID` it is sent: a stream resumed with
   * one is the gap's replay (`complete: true` without the events-since endpoint). @default false
   */
  resume?: boolean;
  /**
   * The query parameter that carries the last event id where no header can (`EventSource`).
   * @default 'lastEventId'
   */
  lastEventIdParam?: string;
  /**
   * `event:` names the server sends besides `message`: `EventSource` delivers only names it
   * listens for (the fetch reader reads every name). @default []
   */
  events?: string[];
  /**
   * The envelope field an event's `id:` fills when its JSON lacks it (the events-since answer
   * must then carry the same id there, or replayed copies are not recognised). @default none
   */
  idField?: string;
  /** The `event:` name of the server's heartbeat: it keeps the stream alive and is never relayed. @default 'ping' */
  heartbeat?: string;
  /**
   * Nothing at all (event, heartbeat or comment) for this long: the stream is dead or a proxy
   * buffers it; it is closed and replaced. 0: never. @default 45_000
   */
  silenceTimeoutMs?: number;
}

/** The app's `transport` option. @default 'websocket' */
export type TransportOption = 'websocket' | 'sse' | SseOptions;

/** Whether the option asks for Server-Sent Events (the URL is then http: or https:). */
export const isSse = (value: unknown): boolean =>
  value === 'sse' || (typeof value === 'object' && value !== null && (value as { type?: unknown }).type === 'sse');
