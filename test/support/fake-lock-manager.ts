/**
 * The Web Locks API's `request(name, options, callback)` in memory, for Node
 * tests of the leader election (Node has no navigator.locks): exclusive locks,
 * a FIFO queue per name, `signal` withdrawing a queued request, and `steal`
 * taking a held lock at once — the holder's request rejects with AbortError
 * while its callback runs on, as in browsers.
 */
import type { LeaderLocks } from '../../src/tab/hosts/leader.ts';

interface Request {
  callback: () => Promise<void> | void;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

const abortError = () => new DOMException('the lock request was aborted', 'AbortError');

export class FakeLockManager implements LeaderLocks {
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
