/**
 * Web Locks as tabwire uses them, one slice for every part: a tab holds a lock for its lifetime
 * and waits on its broker's (rule 7), a broker waits on its tabs', leaders are elected with them
 * (rule 9). The browser's `navigator.locks` in the browser; Node tests pass a fake.
 */

/** The slice of the Web Locks API (`navigator.locks.request`) tabs and leaders call. */
export interface WebLocks {
  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: () => unknown): Promise<unknown>;
}

/** What a broker asks of Web Locks: to hear when a tab's lock is free. */
export interface LockRequester {
  /** Resolves `onGranted` once the lock named `name` is free (its holder released it or died). */
  waitFor(name: string, onGranted: () => void): void;
}
