/**
 * The interfaces the engine is given instead of reaching for globals: time,
 * the socket, the event store. Real adapters live in `worker/`; tests pass fakes.
 */
import type { RecentQuery } from '../link/messages.ts';
import type { Envelope } from '../link/envelope.ts';
import type { LastSeen } from './core/log-policy.ts';
import type { Clock } from '../link/clock.ts';

/**
 * The default clock calls the globals inside arrow functions, so a test's
 * `vi.useFakeTimers()` installed after this module loaded still applies.
 */
export const systemClock: Clock = {
  now: () => Date.now(),
  monotonic: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};


export interface TransportHandlers {
  onOpen(): void;
  onMessage(data: unknown): void;
  onClose(code: number, reason: string): void;
  /** A transport that carries the credential on its own request (`authenticate`): the server took it. */
  onAccepted?(): void;
  /** …the server refused it (`UNAUTHORIZED`, `FORBIDDEN`, `RATE_LIMIT_EXCEEDED`); no `onClose` follows. */
  onRefused?(code: string): void;
}

export interface Transport {
  /** A frame: text, or binary where the transport was opened with `binary`. */
  send(frame: string | ArrayBuffer): void;
  close(code?: number, reason?: string): void;
  /**
   * Present on a transport that carries the credential on its own request (an SSE stream: a
   * header, a query parameter, the cookies) instead of an auth frame: the driver hands it the
   * token (undefined with cookies) where it would send the frame, and the request starts. Its
   * answer comes as `onAccepted` or `onRefused`. `open` is then only "ready for the credential".
   */
  authenticate?(token: string | undefined): void;
}

export interface TransportOptions {
  /** Binary frames reach `onMessage` as `ArrayBuffer`s (a WebSocket's `binaryType`). @default false */
  binary?: boolean;
  /** WebSocket subprotocols the upgrade offers (`Sec-WebSocket-Protocol`); none when undefined or empty. @default undefined */
  subprotocols?: readonly string[];
}

export type TransportFactory = (url: string, handlers: TransportHandlers, options?: TransportOptions) => Transport;

/** One stored event. `key` identifies it (see `eventKey`), `at` is its timestamp in ms. */
export interface StoredEvent {
  key: string;
  at: number;
  envelope: Envelope;
}


export interface StoreStatus {
  /** `ok`: IndexedDB; `degraded`: memory only, with the reason. */
  status: 'ok' | 'degraded';
  reason?: string;
}

/**
 * The event log of one namespace (endpoint + tenant + user). Appends come in
 * batches; the store trims to its policy in the same transaction.
 */
export interface EventStore {
  append(events: StoredEvent[], lastSeen: LastSeen | null, now: number): Promise<void>;
  recent(query: RecentQuery): Promise<StoredEvent[]>;
  /** Keys of stored events at or after `since` (ms), for de-duplicating a replay. */
  keysSince(since: number): Promise<string[]>;
  lastSeen(): Promise<LastSeen | null>;
  count(): Promise<number>;
  /** Delete every event and the last-seen of this namespace. */
  wipe(): Promise<void>;
  close(): void;
}
