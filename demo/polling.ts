import { useEffect, useState } from 'react';

/**
 * The latest value of `read`, called now and every `intervalMs` while mounted.
 * `read` must keep its identity between renders (memoise it); undefined pauses.
 * A failed read keeps the last value: the worker may be restarting or the server down.
 */
export function usePolling<T>(read: (() => Promise<T>) | undefined, intervalMs = 1000): T | undefined {
  const [value, setValue] = useState<T>();
  useEffect(() => {
    if (!read) return;
    let live = true;
    const tick = () => read().then((next) => live && setValue(next), () => {});
    void tick();
    const timer = setInterval(tick, intervalMs);
    return () => {
      live = false;
      clearInterval(timer);
    };
  }, [read, intervalMs]);
  return value;
}
