/**
 * The broker's stats, kept live for `useRealtimeConnection()`: asked at once on each
 * state change, and as events arrive at most once per `statsThrottleMs` (a burst is
 * one question to the worker, not one per event). One store per broker, listening
 * only while a component shows its stats.
 */
import { useEffect, useState } from 'react';
import type { BrokerStats } from '../link/stats.ts';

/** How often, at most, events arriving ask the worker for new stats, in ms. */
const statsThrottleMs = 1_000;

/** What the store needs of a broker. */
export interface StatsBroker {
  stats(): Promise<BrokerStats>;
  on(pattern: '*', handler: () => void): () => void;
  onState(listener: () => void): () => void;
}

interface Store {
  stats: BrokerStats | undefined;
  listen(listener: (stats: BrokerStats) => void): () => void;
}

const stores = new WeakMap<StatsBroker, Store>();

function storeOf(broker: StatsBroker): Store {
  let store = stores.get(broker);
  if (!store) {
    store = createStore(broker);
    stores.set(broker, store);
  }
  return store;
}

function createStore(broker: StatsBroker): Store {
  const listeners = new Set<(stats: BrokerStats) => void>();
  let cooling: ReturnType<typeof setTimeout> | undefined;
  let pending = false;
  let stop: (() => void) | undefined;
  const store: Store = { stats: undefined, listen };
  const ask = () => {
    broker.stats().then(
      (stats) => {
        store.stats = stats;
        for (const listener of listeners) listener(stats);
      },
      () => {}, // a closed broker cannot answer; the last numbers stay.
    );
    clearTimeout(cooling);
    cooling = setTimeout(() => {
      cooling = undefined;
      if (pending && listeners.size > 0) {
        pending = false;
        ask();
      }
    }, statsThrottleMs);
  };
  const askSoon = () => (cooling ? (pending = true) : ask());
  function listen(listener: (stats: BrokerStats) => void): () => void {
    listeners.add(listener);
    if (!stop) {
      const offEvents = broker.on('*', askSoon);
      const offState = broker.onState(ask);
      stop = () => {
        offEvents();
        offState();
        clearTimeout(cooling);
        cooling = undefined;
        pending = false;
      };
      ask();
    }
    return () => {
      listeners.delete(listener);
      if (listeners.size > 0 || !stop) return;
      stop();
      stop = undefined;
    };
  }
  return store;
}

/** The broker's stats, live; undefined until it first answered (and on the server). */
export function useLiveStats(broker: StatsBroker | null): BrokerStats | undefined {
  // Tagged with its broker, so a new broker never shows the old one's numbers.
  const [shown, setShown] = useState<{ broker: StatsBroker; stats: BrokerStats }>();
  useEffect(() => {
    if (!broker) return;
    const store = storeOf(broker);
    if (store.stats) setShown({ broker, stats: store.stats });
    return store.listen((stats) => setShown({ broker, stats }));
  }, [broker]);
  return shown?.broker === broker ? shown.stats : undefined;
}
