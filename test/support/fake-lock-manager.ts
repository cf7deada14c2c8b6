/**
 * The Web Locks API's `request(name, options, callback)` in memory, the one fake of it
 * for every Node test (Node has no navigator.locks): exclusive locks, a FIFO queue per
 * name, `signal` withdrawing a queued request, and `steal` taking a held lock at once —
 * the holder's request rejects with AbortError while its callback runs on, as in
 * browsers. It is the leader election's locks (test/support/leader-world.ts), a fake
 * page's `navigator.locks` (test/support/fake-page.ts), and the brokers' `LockRequester`
 * (`waitFor`) in a world of real tabs and in-process brokers (test/support/tab-harness.ts);
 * `hold` keeps a lock for as long as a tab or broker lives, and `crash` is what the
 * browser does to the locks of a page that died.
 */
import type { LockRequester } from '../../src/broker/tabs.ts';
import type { WebLocks } from '../../src/link/web-locks.ts';

interface Request {
  callback: () => Promise<void> | void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const abortError = () => new DOMException('the lock request was aborted', 'AbortError');

export class FakeLockManager implements WebLocks, LockRequester {
  readonly #held = new Map<string, Request>();
  readonly #queues = new Map<string, Request[]>();
  /** Every steal, in order, by lock name: what the tests count. */
  readonly steals: string[] = [];

  request(name: string, options: { steal?: boolean; signal?: AbortSignal }, callback: () => Promise<void> | void): Promise<unknown> {
    if (options.steal && options.signal) return Promise.reject(new DOMException('steal and signal together', 'NotSupportedError'));
    if (options.signal?.aborted) return Promise.reject(abortError());
    return new Promise((resolve, reject) => {
      const request: Request = { callback, resolve, reject };
      if (options.steal) {
        this.steals.push(name);
        const holder = this.#held.get(name);
        this.#held.delete(name);
        holder?.reject(abortError());
        this.#grant(name, request);
        return;
      }
      const queue = this.#queues.get(name) ?? [];
      queue.push(request);
      this.#queues.set(name, queue);
      options.signal?.addEventListener('abort', () => {
        const index = queue.indexOf(request);
        if (index < 0) return;
        queue.splice(index, 1);
        reject(abortError());
      });
      this.#next(name);
    });
  }

  /** The broker's `LockRequester`, as `webLocks` does it: take the lock once it is free, let go at once, and say so. */
  waitFor(name: string, onGranted: () => void): void {
    this.request(name, {}, () => onGranted()).catch(() => onGranted());
  }

  /** Hold `name` until the returned function is called (a broker's lock, for as long as it lives). */
  hold(name: string): () => void {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    void this.request(name, {}, () => released);
    return release;
  }

  /**
   * The holder of `name` is gone without letting go (its page crashed): the lock passes to the
   * next in line, as browsers do, and the holder's request never settles.
   */
  crash(name: string): void {
    if (!this.#held.delete(name)) return;
    this.#next(name);
  }

  /** Whether someone holds `name`. */
  isHeld(name: string): boolean {
    return this.#held.has(name);
  }

  /** Requests waiting for `name`. */
  queued(name: string): number {
    return this.#queues.get(name)?.length ?? 0;
  }

  #next(name: string): void {
    if (this.#held.has(name)) return;
    const request = this.#queues.get(name)?.shift();
    if (request) this.#grant(name, request);
  }

  #grant(name: string, request: Request): void {
    this.#held.set(name, request);
    // Granted in a later task, as in browsers; released when the callback's promise settles.
    queueMicrotask(() => {
      Promise.resolve()
        .then(() => request.callback())
        .then(
          (value) => this.#release(name, request, () => request.resolve(value)),
          (error: unknown) => this.#release(name, request, () => request.reject(error)),
        );
    });
  }

  #release(name: string, request: Request, settle: () => void): void {
    // A stolen lock is no longer this request's: its promise already rejected.
    if (this.#held.get(name) !== request) return;
    this.#held.delete(name);
    settle();
    this.#next(name);
  }
}
