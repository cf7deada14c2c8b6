/**
 * The brokers a Node world starts, one after another, as a browser starts SharedWorkers:
 * each holds its own lock (`<prefix>-<n>`) while it lives, so its tabs hear it die, and a
 * restart kills the current one the way a browser kills a worker — lock first, then socket.
 */
import { Broker, type BrokerDeps } from '../../src/broker/broker.ts';
import type { FakeLockManager } from './fake-lock-manager.ts';

export interface FleetEntry {
  broker: Broker;
  release: () => void;
}

export interface BrokerFleet {
  readonly current: Broker;
  readonly all: readonly FleetEntry[];
  /** A broker besides the current one (a tab's own), holding its lock until `stop`. */
  make(overrides?: Partial<BrokerDeps>): FleetEntry;
  /** A new current broker, the old one killed. */
  restart(): Promise<Broker>;
  /** Kill one: its lock released (its tabs hear that first), then it shuts down. */
  stop(entry: FleetEntry): Promise<void>;
}

/** `deps`: everything but the broker's id and lock, asked for anew for each broker. */
export function brokerFleet(locks: FakeLockManager, prefix: string, deps: () => Omit<BrokerDeps, 'brokerId' | 'brokerLock'>): BrokerFleet {
  const all: FleetEntry[] = [];
  const make = (overrides: Partial<BrokerDeps> = {}): FleetEntry => {
    const name = `${prefix}-${all.length + 1}`;
    const broker = new Broker({ ...deps(), brokerId: name, brokerLock: name, ...overrides });
    const entry = { broker, release: locks.hold(name) };
    all.push(entry);
    return entry;
  };
  const stop = async (entry: FleetEntry) => {
    entry.release();
    await new Promise((resolve) => setTimeout(resolve, 0));
    await entry.broker.shutdown();
  };
  let current = make();
  return {
    get current() {
      return current.broker;
    },
    all,
    make,
    stop,
    async restart() {
      const dying = current;
      current = make();
      await stop(dying);
      return current.broker;
    },
  };
}
