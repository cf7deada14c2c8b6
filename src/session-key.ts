/**
 * The hash of an app's `sessionKey`. The key names an account (`tenant:user`);
 * it ends up in worker, lock and channel names, which devtools and other
 * scripts of the origin can list, so only its hash is ever used. Synchronous,
 * because `connectBroker` is: a 64-bit mix in the manner of cyrb53, as 16 hex digits.
 */
export function hashSessionKey(key: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  const hex = (n: number) => (n >>> 0).toString(16).padStart(8, '0');
  return hex(h2) + hex(h1);
}

/** What a hashed key looks like: the worker keeps nothing else under that name. */
export const isSessionHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{16}$/.test(value);
