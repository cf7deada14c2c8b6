/**
 * `tabwire/react`'s channel hooks: a component holds a server-side channel while it is mounted
 * (`broker.channel`), shared with every other component and tab holding the same one. Params may
 * be a new object on every render: the channel is keyed by their stable JSON, so only a change
 * of name or params resubscribes.
 */
import { useEffect, useMemo, useState } from 'react';
import { type ChannelState, channelKey } from '../link/channels.ts';
import type { TabwireError, TabwireErrorData } from '../link/errors.ts';
import { TabwireError as ErrorClass } from '../link/errors.ts';
import type { ChannelMeta } from './channels.ts';
import { useBroker } from './react.ts';
import { useLatest } from './react-latest.ts';

/** The channel's key, stable across renders with equal params; throws INVALID_ARGUMENT for params JSON cannot hold. */
function useChannelKey(name: string, params: unknown): string {
  let key: string;
  try {
    key = channelKey({ name, params }, Number.POSITIVE_INFINITY);
  } catch (error) {
    throw new ErrorClass(error as TabwireErrorData);
  }
  return key;
}

/** Call `handler` with each message of the channel `name` (with `params`) while mounted. */
export function useChannel<T = unknown>(name: string, params: unknown, handler: (message: T, meta: ChannelMeta) => void): void {
  const broker = useBroker<object>();
  const key = useChannelKey(name, params);
  const latest = useLatest(handler);
  // The params as they were when the key last changed: equal ones need no new subscription.
  const keyed = useMemo(() => params, [key]);
  useEffect(() => {
    const handle = broker.channel<T>(name, keyed);
    handle.on((message, meta) => latest.current(message, meta));
    return () => handle.unsubscribe();
  }, [broker, name, key, keyed, latest]);
}

export interface Subscription<T> {
  /** The latest message, undefined before the first. */
  data: T | undefined;
  /** `subscribing`, `subscribed`, `error` or `complete` (`closed` never shows: unmounting is the end). */
  state: ChannelState;
  /** Why the channel ended in `error`. */
  error: TabwireError | undefined;
}

/** The latest message of the channel `name` (with `params`) and its state, re-rendering on each. */
export function useSubscription<T = unknown>(name: string, params?: unknown): Subscription<T> {
  const broker = useBroker<object>();
  const key = useChannelKey(name, params);
  const keyed = useMemo(() => params, [key]);
  const [subscription, setSubscription] = useState<Subscription<T>>({ data: undefined, state: 'subscribing', error: undefined });
  useEffect(() => {
    const handle = broker.channel<T>(name, keyed);
    setSubscription({ data: undefined, state: handle.state, error: undefined });
    handle.on((data) => setSubscription((now) => ({ ...now, data })));
    handle.onState((state) => setSubscription((now) => ({ ...now, state })));
    handle.onError((error) => setSubscription((now) => ({ ...now, state: 'error', error })));
    return () => handle.unsubscribe();
  }, [broker, name, key, keyed]);
  return subscription;
}
