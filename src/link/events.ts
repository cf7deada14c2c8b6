/**
 * Event typing: an event map from type to payload, and the helpers that give
 * `on(pattern, handler)` the right event type for exact types, prefixes and `*`.
 * The catalogue of docs/protocol.md is in ./catalogue.ts.
 */
import type { ControlFrames, TabwireEvents } from './catalogue.ts';
import type { Envelope } from './envelope.ts';

/** Maps each event type to its payload: any object type, e.g. an interface extended by merging. */
export type EventMap = object;

/** The default map: the docs/protocol.md catalogue and its control frames. */
export type DefaultEvents = TabwireEvents & ControlFrames;

/** An event as handlers receive it. `replayed`: recovered through the events-since endpoint after a gap. */
export type RealtimeEvent<T extends string = string, D = Record<string, unknown>> = Envelope<D> & {
  type: T;
  replayed?: boolean;
};

/** Control frame types: never matched by `*` or a prefix. */
type ControlType = `auth.${string}` | `${string}.error`;

/** The domain event types of a map (control frames excluded). */
export type DomainTypes<M> = Exclude<keyof M & string, ControlType>;

/** Every domain event of the map, as a union discriminated by `type`. */
export type AnyEventOf<M> = { [K in DomainTypes<M>]: RealtimeEvent<K, M[K]> }[DomainTypes<M>];

/** The domain types of the map that `prefix.*` covers. */
export type TypesWithPrefix<M, Prefix extends string> = Extract<DomainTypes<M>, `${Prefix}.${string}`>;

/** Known types (with completion), `prefix.*`, `*`, or any other string (unknown types are delivered, untyped). */
export type PatternOf<M> = (keyof M & string) | `${string}.*` | '*' | (string & {});

/**
 * The event a handler of pattern `P` receives: the exact type's event; the
 * union of the known types a prefix covers; the union of every known domain
 * event for `*`. Unknown exact types and prefixes covering no known type are
 * untyped (`RealtimeEvent`). Unknown types also reach `*` and prefix handlers at
 * run time: a handler declared `(event: RealtimeEvent) => …` accepts them all.
 */
export type EventOf<M, P extends string> = P extends keyof M & string
  ? RealtimeEvent<P, M[P]>
  : P extends '*'
    ? AnyEventOf<M>
    : P extends `${infer Prefix}.*`
      ? [TypesWithPrefix<M, Prefix>] extends [never]
        ? RealtimeEvent
        : { [K in TypesWithPrefix<M, Prefix>]: RealtimeEvent<K, M[K]> }[TypesWithPrefix<M, Prefix>]
      : RealtimeEvent;
