/**
 * For server-render tests. `watchBrowserGlobals` replaces `window`, `document` and `navigator` with getters that
 * record every read, before each test, and restores them after. Installed after the test
 * file's imports, so only what the render itself does is watched.
 */
import { afterEach, beforeEach, vi } from 'vitest';

const browserGlobals = ['window', 'document', 'navigator'] as const;

/** Returns the list the current test's reads are recorded in (a new list each test). */
export function watchBrowserGlobals(): { readonly touched: string[] } {
  const record = { touched: [] as string[] };
  const saved = new Map<string, PropertyDescriptor | undefined>();
  beforeEach(() => {
    record.touched = [];
    for (const name of browserGlobals) {
      saved.set(name, Object.getOwnPropertyDescriptor(globalThis, name));
      Object.defineProperty(globalThis, name, { configurable: true, get: () => void record.touched.push(name) });
    }
  });
  afterEach(() => {
    for (const name of browserGlobals) {
      const descriptor = saved.get(name);
      if (descriptor) Object.defineProperty(globalThis, name, descriptor);
      else delete (globalThis as Record<string, unknown>)[name];
    }
    vi.restoreAllMocks();
  });
  return record;
}

/**
 * React with React 18's server-render warning for useLayoutEffect played back (React 19 no
 * longer warns): what `vi.mock('react', …)` gives server-render tests, so they hold for both.
 */
export function reactWarningAsReact18<R extends typeof import('react')>(react: R): R {
  const useLayoutEffect: typeof react.useLayoutEffect = (effect, deps) => {
    console.error('Warning: useLayoutEffect does nothing on the server (as React 18 warned).');
    return react.useLayoutEffect(effect, deps);
  };
  return { ...react, default: { ...react, useLayoutEffect }, useLayoutEffect };
}
