/**
 * The guide's `useRealtimeEvent`, in both its forms, and the one subscription
 * every hook of this entry makes: while enabled (the hook's and the provider's
 * flag), calling the latest handler, under every name of the event.
 */
import { useEffect } from 'react';
import { useLatest } from '../tab/react-latest.ts';
import type { DefaultEvents, EventOf, PatternOf, RealtimeEvent } from '../link/events.ts';
import { type ReadingEvent, type ReadingName, namesOf, noteOlderName } from './event-names.ts';
import { useBrokerFor, useRealtimeEnabled } from './provider.ts';

/** The event a handler of `P` gets: a reading under any of its names, else tabwire's typing. */
export type GuideEventOf<M, P extends string> = P extends ReadingName ? ReadingEvent : EventOf<M, P>;

/** One subscription per name of `pattern` while enabled, calling the latest `handler`. */
export function useSubscription(hook: string, pattern: string, handler: (event: RealtimeEvent) => void, enabled: boolean): void {
  const broker = useBrokerFor<Record<string, Record<string, unknown>>>(hook);
  const latest = useLatest(handler);
  const flag = useRealtimeEnabled();
  const on = enabled && flag;
  useEffect(() => {
    if (!on || !broker) return;
    noteOlderName(pattern);
    const offs = namesOf(pattern).map((name) => broker.on(name, (event) => latest.current(event as RealtimeEvent)));
    return () => offs.forEach((off) => off());
  }, [broker, pattern, on, latest]);
}

export interface RealtimeEventOptions<M extends object, P extends PatternOf<M>> {
  /** An exact type, `prefix.*` or `*`. Older names of a type are subscribed under all its names. */
  eventType: P;
  /** The whole message, `{ type, data, timestamp, eventId, tenantId }` as it came. */
  onEvent: (message: GuideEventOf<M, P>) => void;
  /** `false`: no subscription (e.g. until signed in). @default true */
  enabled?: boolean;
  /**
   * The guide's list of what `onEvent` closes over. The latest `onEvent` is always the
   * one called, so a change never needs a new subscription and none is made.
   * @default []
   */
  dependencies?: readonly unknown[];
}

/** The guide's `useRealtimeEvent({ eventType, onEvent, enabled, dependencies })`: `onEvent` gets the whole message. */
export function useRealtimeEvent<M extends object = DefaultEvents, P extends PatternOf<M> = PatternOf<M>>(options: RealtimeEventOptions<M, P>): void;
/** The migration analysis's `useRealtimeEvent(eventType, handler, enabled)`: `handler` gets the payload, then the message. */
export function useRealtimeEvent<M extends object = DefaultEvents, P extends PatternOf<M> = PatternOf<M>>(
  eventType: P,
  handler: (data: GuideEventOf<M, P>['data'], message: GuideEventOf<M, P>) => void,
  enabled?: boolean,
): void;
export function useRealtimeEvent(
  first: string | RealtimeEventOptions<object, string>,
  handler?: (data: Record<string, unknown>, message: RealtimeEvent) => void,
  enabled = true,
): void {
  const positional = typeof first === 'string';
  const pattern = positional ? first : first.eventType;
  const call = (event: RealtimeEvent) => (positional ? handler?.(event.data, event) : (first.onEvent as (event: RealtimeEvent) => void)(event));
  useSubscription('useRealtimeEvent', pattern, call, positional ? enabled : first.enabled !== false);
}
