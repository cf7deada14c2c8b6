/**
 * The two small hooks every React binding of tabwire builds on: the core entry and
 * the PurposePath entry share them from here.
 */
import { useEffect, useLayoutEffect, useRef } from 'react';

/**
 * A layout effect in the browser, a plain effect on the server: neither runs
 * there, but React 18 warns about useLayoutEffect during a server render.
 */
export const useIsomorphicLayoutEffect =
  typeof window !== 'undefined' && typeof document !== 'undefined' ? useLayoutEffect : useEffect;

/** Keep a ref to the latest value, updated before effects and events run. */
export function useLatest<T>(value: T): { readonly current: T } {
  const ref = useRef(value);
  useIsomorphicLayoutEffect(() => {
    ref.current = value;
  });
  return ref;
}
