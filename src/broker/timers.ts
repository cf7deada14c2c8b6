/** Named one-shot timers over an injected clock: setting a name again replaces it. */
import type { Clock, TimerHandle } from '../link/clock.ts';

export class NamedTimers<Name extends string> {
  readonly #handles = new Map<Name, TimerHandle>();

  constructor(private readonly clock: Clock) {}

  set(name: Name, ms: number, callback: () => void): void {
    this.clear(name);
    this.#handles.set(
      name,
      this.clock.setTimeout(() => {
        this.#handles.delete(name);
        callback();
      }, ms),
    );
  }

  has(name: Name): boolean {
    return this.#handles.has(name);
  }

  clear(name: Name): void {
    const handle = this.#handles.get(name);
    if (handle === undefined) return;
    this.clock.clearTimeout(handle);
    this.#handles.delete(name);
  }

  clearAll(): void {
    for (const handle of this.#handles.values()) this.clock.clearTimeout(handle);
    this.#handles.clear();
  }
}
