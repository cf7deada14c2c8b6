/**
 * The tenant rule, in one place: live events at the edge, the fan-out to a tab
 * that named its tenant, and `recent()` reads of the log all decide alike. An
 * event that names no tenant, or a reader that expects none, passes; an event
 * naming another tenant does not.
 */
import { tenantOf } from './protocol/envelope.ts';
import type { Envelope } from '../link/envelope.ts';

/** Whether an event naming `tenant` may reach a reader expecting `expected`. */
export function tenantAllows(expected: string | undefined, tenant: unknown): boolean {
  return expected === undefined || tenant === undefined || tenant === null || tenant === expected;
}

/** Either place a tenant may be named (the payload, or the envelope in older drafts) must allow it. */
export function envelopeAllowed(envelope: Envelope, expected: string | undefined): boolean {
  return tenantAllows(expected, envelope.data.tenantId) && tenantAllows(expected, envelope.tenantId);
}

/** Whether a tab that named its tenant (or none) may read this stored envelope. */
export function tabMayRead(tabTenant: string | undefined, envelope: Envelope): boolean {
  return tenantAllows(tabTenant, tenantOf(envelope));
}
