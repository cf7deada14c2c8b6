/**
 * `tabwire/react`'s channel hooks: a component holds a server-side channel while it is mounted
 * (`broker.channel`), shared with every other component and tab holding the same one. Params may
 * be a new object on every render: the channel is keyed by their stable JSON, so only a change
 * of name or params resubscribes. A change of the provider's broker (its url, tenant or session)
 * resubscribes too, on another connection where the channel starts from no position: a component
 * that held the channel on the old broker is told `{ complete: false }` once it is subscribed on
 * the new one, so no gap goes untold.
 */
import { useEffect, useMemo, useRef, useState } from 'react';
import { type ChannelState, channelKey } from '../link/channels.ts';
import type { TabwireError, TabwireErrorData } from '../link/errors.ts';
import { TabwireError as ErrorClass } from '../link/errors.ts';
import type { ChannelHandle, ChannelMeta, ChannelResync } from './channels.ts';
import { useBroker } from './react.ts';
import { useLatest } from './react-latest.ts';

/** What `useSubscription` takes besides the channel; called at its latest, so it may change on every render. */
export interface SubscriptionOptions {
  /**
   * Once per gap of the channel, when it is subscribed again (`ChannelHandle.onResync`); also
   * `{ complete: false }` after the provider moved to a new broker while the channel was held.
   */
  onResync?: (signal: ChannelResync) => void;
}

/** What `useChannel` takes besides the channel and its handler; called at their latest. */
export interface ChannelOptions extends SubscriptionOptions {
  /** The channel was refused or ended with an error (`ChannelHandle.onError`). */
  onError?: (error: TabwireError) => void;
}

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

/**
 * Holds the channel while mounted: `follow` adds the hook's own listeners to each handle (called
 * once per handle, so it closes over stable setters or refs), `options` at their latest. Returns
 * an object that is new with each broker or channel, to tag what a handle showed.
 */
function useHeldChannel<T>(name: string, params: unknown, options: ChannelOptions | undefined, follow: (handle: ChannelHandle<T>) => void): object {
  const broker = useBroker<object>();
  const key = useChannelKey(name, params);
  // The params as they were when the key last changed: equal ones need no new subscription.
  const keyed = useMemo(() => params, [key]);
  const latest = useLatest(options);
  // The broker and key of the last handle while it held the channel, or still owed its gap.
  const last = useRef<[object, string]>(undefined);
  useEffect(() => {
    const [before, beforeKey] = last.current ?? [];
    // Another broker is another connection (StrictMode's second mount keeps the broker).
    let owed = beforeKey === key && before !== broker;
    let held = false;
    const tell = (signal: ChannelResync) => latest.current?.onResync?.(signal);
    const watch = (state: ChannelState) => {
      if (state !== 'subscribed') return;
      held = true;
      if (owed) tell({ complete: false });
      owed = false;
    };
    const handle = broker.channel<T>(name, keyed);
    follow(handle);
    handle.on(() => (held = true));
    handle.onState(watch);
    handle.onResync(tell);
    handle.onError((error) => latest.current?.onError?.(error));
    watch(handle.state);
    return () => {
      last.current = held || owed ? [broker, key] : undefined;
      handle.unsubscribe();
    };
  }, [broker, name, key, keyed, latest]);
  return useMemo(() => ({}), [broker, key]);
}

/** Call `handler` with each message of the channel `name` (with `params`) while mounted; `options` for its gaps and errors. */
export function useChannel<T = unknown>(name: string, params: unknown, handler: (message: T, meta: ChannelMeta) => void, options?: ChannelOptions): void {
  const latest = useLatest(handler);
  useHeldChannel<T>(name, params, options, (handle) => handle.on((message, meta) => latest.current(message, meta)));
}

export interface Subscription<T> {
  /**
   * The latest message, undefined before the first. Kept (stale, but shown) while the provider's
   * broker reconnects, with `onResync` telling a gap; cleared when the channel changes (name or
   * params) or the provider moves to a new broker (another url, tenant or session key). Not
   * cleared by a logout or another user's token on the same provider: the previous account's
   * message shows until the next one (`onResync` tells `complete: false`); give each account its
   * own `sessionKey`, or key the component by the user, to never show it.
   */
  data: T | undefined;
  /** `subscribing`, `subscribed`, `error` or `complete` (`closed` never shows: unmounting is the end). */
  state: ChannelState;
  /** Why the channel ended in `error`. */
  error: TabwireError | undefined;
}

/** What a subscription shows before its handle said anything. */
const subscribing: Subscription<never> = { data: undefined, state: 'subscribing', error: undefined };

/** The latest message of the channel `name` (with `params`) and its state, re-rendering on each; `options` for its gaps. */
export function useSubscription<T = unknown>(name: string, params?: unknown, options?: SubscriptionOptions): Subscription<T> {
  // Tagged with its broker and channel, so a render after a change never shows the previous one's data.
  const [shown, setShown] = useState<{ of: object; now: Subscription<T> }>();
  const of = useHeldChannel<T>(name, params, options, (handle) => {
    const change = (now: Partial<Subscription<T>>) => setShown((was) => ({ of, now: { ...was!.now, ...now } }));
    setShown({ of, now: { ...subscribing, state: handle.state } });
    handle.on((data) => change({ data }));
    handle.onState((state) => change({ state }));
    // An error comes after the state 'error'.
    handle.onError((error) => change({ error }));
  });
  return shown?.of === of ? shown.now : subscribing;
}
