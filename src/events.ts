/**
 * Event typing: an event map from type to payload, and the helpers that give
 * `on(pattern, handler)` the right event type for exact types, prefixes and `*`.
 * The catalogue of PROTOCOL.md lives in protocol/catalogue.ts.
 */
import type { Envelope } from './protocol/envelope.ts';

/** Maps each event type to its payload. Apps extend it with their own types. */
export type EventMap = { [type: string]: object };

/** An event as handlers receive it. `replayed`: recovered through the events-since endpoint after a gap. */
export type RealtimeEvent<T extends string = string, D = Record<string, unknown>> = Envelope<D> & {
  type: T;
  replayed?: boolean;
};

/** Events of every type of the map. */
export type AnyEventOf<M> = { [K in keyof M & string]: RealtimeEvent<K, M[K]> }[keyof M & string];

/** The types of the map that a `prefix.*` pattern covers. */
export type TypesWithPrefix<M, Prefix extends string> = Extract<keyof M & string, `${Prefix}.${string}`>;

/** Exact known types, `prefix.*`, `*`, or any other string (unknown types are still delivered). */
export type PatternOf<M> = (keyof M & string) | `${string}.*` | '*' | (string & {});

/**
 * The event a handler of pattern `P` receives: the exact type's event, the
 * union of the prefix's types (plus unknown types under that prefix), or of
 * every type for `*`. Unknown exact types are untyped.
 */
export type EventOf<M, P extends string> = P extends keyof M & string
  ? RealtimeEvent<P, M[P]>
  : P extends '*'
    ? AnyEventOf<M> | RealtimeEvent
    : P extends `${infer Prefix}.*`
      ? { [K in TypesWithPrefix<M, Prefix>]: RealtimeEvent<K, M[K]> }[TypesWithPrefix<M, Prefix>] | RealtimeEvent
      : RealtimeEvent;
