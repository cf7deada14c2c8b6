/**
 * A call from a part to one built after it, where two parts need each other (the driver hands
 * frames to the ingest, which drives the driver). The earlier part is given `call` when it is
 * built; the later part is bound to it once, as soon as it exists. A call before that throws:
 * the parts were wired in the wrong order.
 */
export interface LateBound<A extends unknown[], R = void> {
  readonly call: (...args: A) => R;
  bind(target: (...args: A) => R): void;
}

export function lateBound<A extends unknown[], R = void>(): LateBound<A, R> {
  let target: ((...args: A) => R) | undefined;
  return {
    call: (...args) => target!(...args),
    bind: (given) => void (target = given),
  };
}
