/**
 * Which app's connection a broker serves: the options that say whose data it is and how the
 * wire is read (the socket URL, the hashed `sessionKey`, the events-since URL, the tenant, the
 * protocol, the transport: an SSE request's method, body or auth is another subscription). Two apps on one origin that reach the same socket URL differ in one of these; a
 * broker, its worker's name and the builds it hears of are keyed by it, so neither app's tabs
 * attach to, or move to, the other's broker, and no token goes to the other's replay endpoint.
 * Timers, bounds and payload policy are left out: tabs of one app may differ there, and a
 * deploy that changes them still hands its tabs over. Pure.
 */
import { canonicalJson } from './event-identity.ts';
import type { BrokerConfig } from './messages.ts';
import { hashSessionKey } from './session-key.ts';

/** The identity of the app whose config this is, as 16 hex digits (a hash: nothing of the config is readable in it). */
export function appIdentity(config: BrokerConfig): string {
  const { url, sessionKey, eventsSinceUrl, tenantId, protocol, transport } = (typeof config === 'object' && config !== null ? config : {}) as Partial<BrokerConfig>;
  // 64-bit FNV-1a (the session key's hash) over the fields in a canonical order.
  return hashSessionKey(canonicalJson({ url, sessionKey, eventsSinceUrl, tenantId, protocol, transport }));
}
