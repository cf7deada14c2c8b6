/**
 * The hash of an app's `sessionKey`. The key names an account (`tenant:user`);
 * it ends up in worker, lock and channel names, which devtools and other
 * scripts of the origin can list, so only its hash is ever used. Synchronous,
 * because `connectBroker` is: 64-bit FNV-1a over the UTF-16 code units, as 16 hex digits.
 */
export function hashSessionKey(key: string): string {
  let hash = 0xcbf29ce484222325n;
  for (let i = 0; i < key.length; i++) hash = BigInt.asUintN(64, (hash ^ BigInt(key.charCodeAt(i))) * 0x100000001b3n);
  return hash.toString(16).padStart(16, '0');
}

/** What a hashed key looks like: the worker keeps nothing else under that name. */
export const isSessionHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{16}$/.test(value);
