/**
 * The broker `<TabwireProvider options>` hands out from its first render, on the server too: a
 * `Broker` that connects nothing itself. The provider binds it to the broker it connects on mount
 * (again after StrictMode's second mount) and unbinds it before closing that one. Unbound it is
 * `idle`; its listeners wait and move with it from one bound broker to the next, so the tree never
 * resubscribes; its calls wait for a broker (a child's effect runs before the provider's).
 */
import type { TabwireError } from '../link/errors.ts';
import type { ResyncSignal } from '../link/states.ts';
import type { UpgradeNotice } from '../link/messages.ts';
import { closedError } from './calls.ts';
import { type Broker, checkPattern } from './client.ts';
import { connectionState } from './connection-state.ts';
import { listen, nextEvent, untilAborted } from './listeners.ts';
import { movingChannel } from './moving-channel.ts';

type AnyBroker = Broker<object>;

export interface BindableBroker extends AnyBroker {
  /** Serve through `target` until the returned function is called. */
  bind(target: AnyBroker): () => void;
}

/** A broker bound later (see the file's comment); `report`: a listener threw. */
export function bindableBroker(report: (error: unknown) => void): BindableBroker {
  let target: AnyBroker | undefined;
  // Aborted when the provider is gone for good: `once` and the calls still waiting end CLOSED.
  let lifetime = new AbortController();
  const connection = connectionState(report, () => {});
  const kept = new Set<{ attach: (to: AnyBroker) => () => void; detach?: (() => void) | undefined }>();
  const waiting = new Set<(to: AnyBroker | undefined) => void>();
  /** A listener of the bound broker, whichever it is now and next. */
  const keep = (attach: (to: AnyBroker) => () => void, signal: AbortSignal | undefined) =>
    untilAborted(() => {
      const entry = { attach, detach: target && attach(target) };
      kept.add(entry);
      return () => {
        kept.delete(entry);
        entry.detach?.();
      };
    }, signal);
  /** The bound broker, once there is one; CLOSED when the provider left first. */
  const bound = (): Promise<AnyBroker> =>
    target ? Promise.resolve(target) : lifetime.signal.aborted ? Promise.reject(closedError()) : new Promise((resolve, reject) => waiting.add((to) => (to ? resolve(to) : reject(closedError()))));

  const broker: BindableBroker = {
    get state() {
      return connection.status;
    },
    get reason() {
      return connection.reason;
    },
    get sharing() {
      return target?.sharing ?? 'none';
    },
    // Never rejects, as the client's: a provider gone before it connected resolves it.
    get ready() {
      return bound().then(
        (to) => to.ready,
        () => {},
      );
    },
    connected: connection.connected,
    on(pattern, handler, options) {
      checkPattern(pattern);
      return keep((to) => to.on(pattern, handler), options?.signal);
    },
    once: (pattern, options) => nextEvent((handler) => broker.on(pattern, handler), [options?.signal, lifetime.signal]),
    onState: (listener, options) => listen(connection.listeners, listener, options),
    onResync: (listener: (signal: ResyncSignal) => void, options) => keep((to) => to.onResync(listener), options?.signal),
    onError: (listener: (error: TabwireError) => void, options) => keep((to) => to.onError(listener), options?.signal),
    onUpgrade: (listener: (notice: UpgradeNotice) => void, options) => keep((to) => to.onUpgrade(listener), options?.signal),
    upgrade: () => bound().then((to) => to.upgrade()),
    recent: (query) => bound().then((to) => to.recent(query)),
    send: (message, options) => bound().then((to) => to.send(message, options)),
    channel: (name, params) => movingChannel(keep as (attach: (to: AnyBroker) => () => void) => () => void, name, params, report),
    request: (message, options) => bound().then((to) => to.request(message, options)),
    stats: () => bound().then((to) => to.stats()),
    debug: () => bound().then((to) => to.debug()),
    logout: () => bound().then((to) => to.logout()),
    reconnect: () => bound().then((to) => to.reconnect()),
    close: () => target?.close(),
    bind(to) {
      target = to;
      if (lifetime.signal.aborted) lifetime = new AbortController();
      connection.set(to.state, to.reason);
      const offState = to.onState((next, _prev, why) => connection.set(next, why));
      for (const entry of kept) entry.detach = entry.attach(to);
      for (const resolve of waiting) resolve(to);
      waiting.clear();
      return () => {
        offState();
        for (const entry of kept) entry.detach?.();
        target = undefined;
        // StrictMode binds again in this same task; a provider gone for good does not.
        queueMicrotask(() => {
          if (target) return;
          lifetime.abort(closedError());
          for (const reject of waiting) reject(undefined);
          waiting.clear();
        });
      };
    },
  };
  return broker;
}
