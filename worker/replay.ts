/**
 * REST replay of missed events: `GET <eventsSinceUrl>?since=<ISO>` with the
 * tab-provided token (PROTOCOL.md "No replay" and "REST side"). Returns the
 * validated envelopes, oldest first; the broker de-duplicates and delivers.
 */
import { type Envelope, validateEnvelope } from '../src/protocol/envelope.ts';

export interface ReplayRequest {
  url: string;
  /** Resolve relative URLs against this (the worker's own location). */
  base: string;
  sinceIso: string;
  token: string;
  tenantId: string | undefined;
  timeoutMs: number;
  fetch: typeof fetch;
}

export interface ReplayAnswer {
  events: Array<{ envelope: Envelope; at: number }>;
  /** Entries of the answer that were not valid envelopes. */
  invalid: number;
  /** How many entries the server returned (before validation), to judge truncation. */
  returned: number;
}

export class ReplayError extends Error {
  constructor(
    message: string,
    /** 401: the token was refused. */
    readonly status?: number,
  ) {
    super(message);
  }
}

/** The array of envelopes in a response: the body itself, or under `events`, `data` or `items`. */
function envelopesOf(body: unknown): unknown[] | undefined {
  if (Array.isArray(body)) return body;
  if (typeof body === 'object' && body !== null) {
    for (const field of ['events', 'data', 'items']) {
      const value = (body as Record<string, unknown>)[field];
      if (Array.isArray(value)) return value;
    }
  }
  return undefined;
}

export async function fetchMissedEvents(request: ReplayRequest): Promise<ReplayAnswer> {
  const url = new URL(request.url, request.base);
  url.searchParams.set('since', request.sinceIso);
  const headers: Record<string, string> = { Authorization: `Bearer ${request.token}`, Accept: 'application/json' };
  if (request.tenantId) headers['X-Tenant-Id'] = request.tenantId;
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), request.timeoutMs);
  let response: Response;
  try {
    response = await request.fetch(url, { headers, signal: abort.signal, credentials: 'omit', cache: 'no-store' });
  } catch (error) {
    // Never echo the request: its headers hold the token.
    throw new ReplayError(abort.signal.aborted ? `events-since timed out after ${request.timeoutMs} ms` : 'events-since request failed');
  } finally {
    clearTimeout(timer);
  }
  if (!response.ok) throw new ReplayError(`events-since answered HTTP ${response.status}`, response.status);
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ReplayError('events-since answered something that is not JSON');
  }
  const entries = envelopesOf(body);
  if (!entries) throw new ReplayError('events-since answer has no array of events');
  const events: ReplayAnswer['events'] = [];
  let invalid = 0;
  for (const entry of entries) {
    const parsed = validateEnvelope(entry);
    if (parsed.ok) events.push({ envelope: parsed.envelope, at: parsed.at });
    else invalid++;
  }
  events.sort((a, b) => a.at - b.at);
  return { events, invalid, returned: entries.length };
}
