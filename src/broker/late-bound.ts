/**
 * A call from a part to one built after it, where two parts need each other (the driver hands
 * frames to the ingest, which drives the driver). The earlier part is given `call` when it is
 * built; the later part is bound to it once, as soon as it exists. A call before that is a
 * wiring error, and says which.
 */
export interface LateBound<A extends unknown[], R = void> {
  readonly call: (...args: A) => R;
  bind(target: (...args: A) => R): void;
}

/** `what`: which edge this is, for the wiring error. */
export function lateBound<A extends unknown[], R = void>(what: string): LateBound<A, R> {
  let target: ((...args: A) => R) | undefined;
  return {
    call: (...args) => {
      if (!target) throw new Error(`tabwire: ${what} was called before it was bound`);
      return target(...args);
    },
    bind(given) {
      if (target) throw new Error(`tabwire: ${what} was bound twice`);
      target = given;
    },
  };
}
