/**
 * The smallest pub/sub a GraphQL subscription resolver needs: each `subscribe(topic)` is an async
 * generator of what is published on the topic from then on. It counts the listeners per topic,
 * so a test sees a subscription end on the server (its generator returned) and not only on the wire.
 */
export class PubSub<T> {
  readonly #listeners = new Map<string, Set<(value: T) => void>>();

  publish(topic: string, value: T): number {
    const listeners = [...(this.#listeners.get(topic) ?? [])];
    for (const listener of listeners) listener(value);
    return listeners.length;
  }

  /** Listeners on `topic` now. */
  listening(topic: string): number {
    return this.#listeners.get(topic)?.size ?? 0;
  }

  subscribe(topic: string): AsyncGenerator<T, void, void> {
    const queue: T[] = [];
    let wake: (() => void) | undefined;
    let done = false;
    const listener = (value: T) => {
      queue.push(value);
      wake?.();
    };
    const listeners = this.#listeners.get(topic) ?? new Set();
    this.#listeners.set(topic, listeners.add(listener));
    const stop = () => {
      done = true;
      listeners.delete(listener);
      wake?.();
    };
    async function* values(): AsyncGenerator<T, void, void> {
      try {
        while (!done) {
          if (queue.length === 0) await new Promise<void>((resolve) => (wake = resolve));
          while (queue.length > 0 && !done) yield queue.shift()!;
        }
      } finally {
        stop();
      }
    }
    const generator = values();
    // `return()` on a generator parked at its `await` waits for that await: end it first.
    const returned = generator.return.bind(generator);
    generator.return = (value) => {
      stop();
      return returned(value);
    };
    return generator;
  }
}
