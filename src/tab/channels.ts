/**
 * This tab's channels: one registration per channel (by its canonical key), whatever number of
 * handles the app holds on it, told to the broker once (`channel`) and let go of once the last
 * handle unsubscribed (`unchannel`). The broker's channel messages, states and resyncs for this
 * tab come here by key. What a re-attaching tab tells its next broker (`held`): every channel
 * with the position of the last message it saw in the current session, so the channel resumes
 * from there (a logout or a session change forgets them: they would resume another user's stream).
 */
import { type ChannelPosition, type ChannelState, type HeldChannel, channelKey } from '../link/channels.ts';
import { TabwireError, type TabwireErrorData } from '../link/errors.ts';
import type { ChannelDelivery } from '../link/messages.ts';
import type { Call } from './calls.ts';
import { type ListenOptions, listen, notify } from './listeners.ts';

/** What a channel message comes with. */
export interface ChannelMeta {
  /** The message's position in its channel (an offset, a timestamp), when the protocol gives one. */
  position?: ChannelPosition;
  /** Replayed by the server after a gap (before the channel's resync), not live. */
  replayed?: boolean;
}

/** A channel gap closed: `complete` false when messages may be missing (refetch what the channel shows). */
export interface ChannelResync {
  complete: boolean;
}

/** The app's hold on one channel (`broker.channel(name, params)`). Handles on the same channel share one subscription. */
export interface ChannelHandle<T = unknown> {
  /** The channel's canonical key: its name and params as stable JSON. */
  readonly key: string;
  /** `subscribing` until the server took it; `error` or `complete` when it ended; `closed` after `unsubscribe()`. */
  readonly state: ChannelState;
  /** Each message of the channel; returns the function that removes the handler. */
  on(handler: (message: T, meta: ChannelMeta) => void, options?: ListenOptions): () => void;
  onState(listener: (state: ChannelState) => void, options?: ListenOptions): () => void;
  /** Once per gap of this channel, when its subscription is back. */
  onResync(listener: (signal: ChannelResync) => void, options?: ListenOptions): () => void;
  /** The server refused or ended the channel with an error (`CHANNEL_ERROR`, with its `serverCode`), or the broker refused it. */
  onError(listener: (error: TabwireError) => void, options?: ListenOptions): () => void;
  /** Let go of the channel; the last handle of this tab lets the broker go of it too. */
  unsubscribe(): void;
}

interface Registration {
  key: string;
  spec: HeldChannel;
  state: ChannelState;
  handles: number;
  messages: Set<(message: unknown, meta: ChannelMeta) => void>;
  states: Set<(state: ChannelState) => void>;
  resyncs: Set<(signal: ChannelResync) => void>;
  errors: Set<(error: TabwireError) => void>;
}

export interface TabChannels {
  open<T>(name: string, params: unknown): ChannelHandle<T>;
  /** A batch of channel messages from the broker (`cm`). */
  deliver(batch: ChannelDelivery[]): void;
  /** A channel's state from the broker (`cs`). */
  stateChanged(key: string, state: 'subscribed' | 'error' | 'complete', error?: TabwireErrorData): void;
  /** A channel's gap closed (`cr`). */
  resynced(key: string, signal: ChannelResync): void;
  /** What this tab holds, for the next broker it attaches to. */
  held(): HeldChannel[];
  /**
   * The tab moved to the broker its last attach request (`held`) went to, while the calls went to
   * the one it left: channels opened since are told to it, and those let go since are let go there.
   */
  retell(): void;
  /** The session ended or changed: no position seen in it goes to a next broker. */
  forgetPositions(): void;
}

export function tabChannels(call: Call, maxParamBytes: number, report: (error: unknown) => void): TabChannels {
  const registrations = new Map<string, Registration>();
  /** The channels the last attach request carried. */
  let carried = new Set<string>();

  const setState = (reg: Registration, state: ChannelState) => {
    if (reg.state === state) return;
    reg.state = state;
    notify(reg.states, state, report);
  };
  const fail = (reg: Registration, data: TabwireErrorData) => {
    // Ended for this tab: a later channel() on it subscribes anew.
    if (registrations.get(reg.key) === reg) registrations.delete(reg.key);
    setState(reg, 'error');
    notify(reg.errors, new TabwireError(data), report);
  };
  /** Tell the broker in use that this tab holds `reg`. */
  const tell = (reg: Registration) => {
    const { name, params } = reg.spec;
    call<string>('channel', [{ name, ...(params !== undefined ? { params } : {}) }]).catch((error: TabwireError) => {
      // A broker lost under the call: the next one is told in the attach request.
      if (error.code !== 'WORKER_LOST' && error.code !== 'CLOSED') fail(reg, error);
    });
  };
  const register = (key: string, spec: HeldChannel): Registration => {
    const reg: Registration = { key, spec, state: 'subscribing', handles: 0, messages: new Set(), states: new Set(), resyncs: new Set(), errors: new Set() };
    registrations.set(key, reg);
    tell(reg);
    return reg;
  };

  return {
    open<T>(name: string, params: unknown): ChannelHandle<T> {
      let key: string;
      try {
        key = channelKey({ name, params }, maxParamBytes);
      } catch (error) {
        throw new TabwireError(error as TabwireErrorData);
      }
      const reg = registrations.get(key) ?? register(key, { name, ...(params !== undefined ? { params } : {}) });
      reg.handles++;
      return handleOf<T>(reg, () => {
        if (--reg.handles > 0 || registrations.get(key) !== reg) return;
        registrations.delete(key);
        void call('unchannel', [key]).catch(() => {});
      });
    },
    deliver(batch) {
      for (const [key, data, position, replayed] of batch) {
        const reg = registrations.get(key);
        if (!reg) continue;
        if (position) reg.spec.from = position;
        const meta: ChannelMeta = { ...(position ? { position } : {}), ...(replayed === 1 ? { replayed: true } : {}) };
        for (const handler of reg.messages) {
          try {
            handler(data, meta);
          } catch (error) {
            report(error);
          }
        }
      }
    },
    stateChanged(key, state, error) {
      const reg = registrations.get(key);
      if (!reg) return;
      if (state === 'error') return fail(reg, error ?? { code: 'CHANNEL_ERROR', message: 'the channel failed' });
      if (state === 'complete') registrations.delete(key);
      setState(reg, state);
    },
    resynced(key, signal) {
      const reg = registrations.get(key);
      if (reg) notify(reg.resyncs, signal, report);
    },
    held() {
      carried = new Set(registrations.keys());
      return [...registrations.values()].map((reg) => ({ ...reg.spec }));
    },
    retell() {
      for (const reg of registrations.values()) if (!carried.has(reg.key)) tell(reg);
      for (const key of carried) if (!registrations.has(key)) void call('unchannel', [key]).catch(() => {});
      carried = new Set(registrations.keys());
    },
    forgetPositions() {
      for (const reg of registrations.values()) delete reg.spec.from;
    },
  };
}

/** One app handle on a registration; `release` once, at its `unsubscribe()`. */
function handleOf<T>(reg: Registration, release: () => void): ChannelHandle<T> {
  let closed = false;
  const offs = new Set<() => void>();
  const add = <L>(set: Set<L>, listener: L, options?: ListenOptions) => {
    const off = listen(set, listener, options);
    offs.add(off);
    return () => {
      offs.delete(off);
      off();
    };
  };
  return {
    key: reg.key,
    get state() {
      return closed ? 'closed' : reg.state;
    },
    on: (handler, options) => (closed ? () => {} : add(reg.messages, handler as (message: unknown, meta: ChannelMeta) => void, options)),
    onState: (listener, options) => (closed ? () => {} : add(reg.states, listener, options)),
    onResync: (listener, options) => (closed ? () => {} : add(reg.resyncs, listener, options)),
    onError: (listener, options) => (closed ? () => {} : add(reg.errors, listener, options)),
    unsubscribe() {
      if (closed) return;
      closed = true;
      for (const off of offs) off();
      offs.clear();
      release();
    },
  };
}
