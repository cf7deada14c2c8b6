/**
 * A random id, also where `crypto.randomUUID` is missing: it exists only in
 * secure contexts, and a page on plain http at a LAN address is not one.
 */
export function randomId(): string {
  if (typeof crypto.randomUUID === 'function') return crypto.randomUUID();
  return Array.from(crypto.getRandomValues(new Uint8Array(16)), (byte) => byte.toString(16).padStart(2, '0')).join('');
}
