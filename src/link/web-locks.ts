/**
 * The slice of the Web Locks API (`navigator.locks.request`) the page calls, one for every part:
 * a tab holds a lock for its lifetime and waits on its broker's (rule 7), leaders are elected
 * with them (rule 9). The browser's `navigator.locks` in the browser; Node tests pass a fake.
 * (A broker only waits for a lock to be free: its `LockRequester`, broker/tabs.ts, is built on this API.)
 */
export interface WebLocks {
  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: () => unknown): Promise<unknown>;
}
