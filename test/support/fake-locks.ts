/**
 * Web Locks as the broker uses them, in memory, for Node tests: a tab "holds"
 * its lock; the broker waits for it and hears when it is released (the tab died).
 */
import type { LockRequester } from '../../src/broker/tabs.ts';

export class FakeLocks implements LockRequester {
  private readonly held = new Set<string>();
  private readonly waiters = new Map<string, Array<() => void>>();

  /** Take a lock for a tab's lifetime; call the returned function when the tab dies. */
  hold(name: string): () => void {
    this.held.add(name);
    return () => {
      this.held.delete(name);
      const waiting = this.waiters.get(name) ?? [];
      this.waiters.delete(name);
      for (const wake of waiting) queueMicrotask(wake);
    };
  }

  waitFor(name: string, onGranted: () => void): void {
    if (!this.held.has(name)) {
      queueMicrotask(onGranted);
      return;
    }
    const list = this.waiters.get(name) ?? [];
    list.push(onGranted);
    this.waiters.set(name, list);
  }
}
