/**
 * The Web Lock a tab holds for its lifetime (rule 7): the broker waits on it, and is
 * granted it when the tab dies, without polling.
 */
import type { WebLocks } from '../link/web-locks.ts';

export interface TabLock {
  /** Resolves once the lock is held, or at once without Web Locks. */
  held: Promise<void>;
  /** Gives the lock back (the tab closed). */
  release(): void;
}

/** `closed`: the tab closed before the lock came (StrictMode mounts, unmounts, mounts). */
export function holdTabLock(locks: WebLocks | undefined, name: string, closed: () => boolean): TabLock {
  let release: () => void = () => {};
  const held = new Promise<void>((resolve) => {
    // Without Web Locks there is no other broker to tell of this tab's death: nothing to hold.
    if (!locks) return resolve();
    void locks.request(name, {}, () => {
      resolve();
      // Closed before the lock came: give it back at once.
      if (closed()) return;
      return new Promise<void>((done) => {
        release = done;
      });
    });
  });
  return { held, release: () => release() };
}
