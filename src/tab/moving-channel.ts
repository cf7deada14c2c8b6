/**
 * A channel handle of the React provider's broker (`react-broker.ts`): it holds the channel on
 * whichever broker is bound now and next, so a component's handle outlives StrictMode's second
 * mount and a provider's reconnect. Its listeners stay on it; each bound broker's own handle
 * feeds them. A next bound broker is another connection, where the channel starts from no position
 * (positions never cross sessions): when the channel was held on an earlier one, the handle tells
 * its resyncs `{ complete: false }` once the channel is subscribed again. StrictMode binds twice
 * before anything could be held, so it tells nothing.
 */
import { type ChannelState, channelKey } from '../link/channels.ts';
import { TabwireError, type TabwireErrorData } from '../link/errors.ts';
import type { ChannelHandle, ChannelMeta, ChannelResync } from './channels.ts';
import type { Broker } from './client.ts';
import { listen, notify } from './listeners.ts';

/** `keep(attach)`: run `attach` on the bound broker and on each next one, until the returned function is called. */
type Keep = (attach: (to: Broker<object>) => () => void) => () => void;

export function movingChannel<T>(keep: Keep, name: string, params: unknown, report: (error: unknown) => void): ChannelHandle<T> {
  let key: string;
  try {
    // Only the key here: each bound broker checks the bounds.
    key = channelKey({ name, params }, Number.POSITIVE_INFINITY);
  } catch (error) {
    throw new TabwireError(error as TabwireErrorData);
  }
  let state: ChannelState = 'subscribing';
  let closed = false;
  const sets = { messages: new Set<(message: T, meta: ChannelMeta) => void>(), states: new Set<(state: ChannelState) => void>(), resyncs: new Set<(signal: ChannelResync) => void>(), errors: new Set<(error: TabwireError) => void>() };
  const setState = (next: ChannelState) => {
    if (next === state) return;
    state = next;
    notify(sets.states, next, report);
  };
  // Subscribed, or a message came, on a bound broker; `owed`: a gap not yet told.
  let held = false;
  let owed = false;
  const follow = (next: ChannelState) => {
    setState(next);
    if (next !== 'subscribed') return;
    held = true;
    if (owed) {
      owed = false;
      notify(sets.resyncs, { complete: false }, report);
    }
  };
  const stop = keep((to) => {
    const handle = to.channel<T>(name, params);
    follow(handle.state);
    const offs = [
      handle.on((message, meta) => {
        held = true;
        for (const handler of sets.messages) {
          try {
            handler(message, meta);
          } catch (error) {
            report(error);
          }
        }
      }),
      handle.onState(follow),
      handle.onResync((signal) => notify(sets.resyncs, signal, report)),
      handle.onError((error) => notify(sets.errors, error, report)),
    ];
    return () => {
      for (const off of offs) off();
      handle.unsubscribe();
      owed = held;
    };
  });
  return {
    key,
    get state() {
      return closed ? 'closed' : state;
    },
    on: (handler, options) => listen(sets.messages, handler, options),
    onState: (listener, options) => listen(sets.states, listener, options),
    onResync: (listener, options) => listen(sets.resyncs, listener, options),
    onError: (listener, options) => listen(sets.errors, listener, options),
    unsubscribe() {
      if (closed) return;
      closed = true;
      stop();
      for (const set of Object.values(sets)) set.clear();
    },
  };
}
