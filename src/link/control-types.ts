/**
 * Which frame types are control traffic rather than domain events. Its own
 * module: the tab needs this one test, not the wire protocol.
 */

/** Frame types that are control traffic, not domain events: never logged, never sent to `*`. */
export function isControlType(type: string): boolean {
  return type.startsWith('auth.') || type.endsWith('.error') || type === 'ping' || type === 'pong';
}
