import { describe, expect, it } from 'vitest';
import type { LogPolicy } from '../../src/broker/core/log-policy.ts';
import { optionDefaults } from '../../src/link/config.ts';
import { eventKey } from '../../src/link/event-identity.ts';
import { EventLog } from '../../src/broker/event-log.ts';
import type { StoredEvent } from '../../src/broker/ports.ts';
import { MemoryEventStore } from '../../src/broker/memory-store.ts';
import { FakeClock } from '../support/fake-clock.ts';

const defaultLogPolicy: LogPolicy = { maxEvents: optionDefaults.logMaxEvents, maxAgeMs: optionDefaults.logMaxAgeMs };
const t0 = Date.UTC(2025, 10, 3, 14, 30);
function event(n: number): StoredEvent {
  const envelope = { type: 'goal.created', timestamp: new Date(t0 + n).toISOString(), data: { n } };
  return { key: eventKey(envelope), at: t0 + n, envelope };
}

/** A store whose reads fail once IndexedDB goes away mid-run (a private window's quota, a crash of its process). */
class UnreadableStore extends MemoryEventStore {
  readsFail = false;
  override async recent(...args: Parameters<MemoryEventStore['recent']>): ReturnType<MemoryEventStore['recent']> {
    if (this.readsFail) throw Object.assign(new Error('The database connection is closing.'), { name: 'InvalidStateError' });
    return super.recent(...args);
  }
}

describe('event log reads when IndexedDB fails mid-run', () => {
  it('falls back to memory and answers recent() instead of rejecting, saying the log is degraded', async () => {
    const store = new UnreadableStore(defaultLogPolicy);
    const degraded: string[] = [];
    const eventLog = new EventLog({ policy: defaultLogPolicy, enabled: true, openStore: async () => store, clock: new FakeClock(t0), onDegraded: (reason) => degraded.push(reason) });
    await eventLog.open('ns');
    store.readsFail = true;
    eventLog.append(event(1));
    await expect(eventLog.recent({ limit: 10 })).resolves.toEqual(expect.any(Array));
    expect(degraded).toEqual([expect.stringContaining('IndexedDB read failed')]);
    eventLog.append(event(2));
    await expect(eventLog.recent({ limit: 10 })).resolves.toEqual([event(2)]);
  });
});
