/**
 * REST replay of missed events: `GET <eventsSinceUrl>?since=<ISO>` with the
 * tab-provided token (docs/protocol.md "Missed events: resync, and replay where the server can" and "The events-since endpoint"), retried with
 * backoff, de-duplicated against what the log and the broker already have, and
 * delivered oldest first, marked replayed, before the live events held back
 * meanwhile. Loaded by the broker on demand: only apps with an events-since
 * endpoint, and only after a gap, need it.
 */
import type { TabwireErrorData } from '../link/errors.ts';
import type { BrokerConfig } from '../link/messages.ts';
import { exponentialDelayMs } from '../link/exponential-delay.ts';
import type { Clock } from '../link/clock.ts';
import { type ParsedFrame, validateEnvelope } from './protocol/envelope.ts';
import type { Envelope } from '../link/envelope.ts';
import type { TokenResult } from './token-source.ts';

/** An event on its way to tabs. */
export interface RelayedEvent {
  envelope: Envelope;
  at: number;
  key: string;
  /** The JSON text tabs receive: the frame as it came, unless it had to be rewritten. */
  text: string;
  tenant: string | undefined;
}

/** What the replay needs from the broker. */
export interface ReplayPort {
  config: BrokerConfig;
  baseUrl: string;
  fetch: typeof fetch;
  clock: Clock;
  tenantId(): string | undefined;
  /**
   * Server time before which nothing is replayed (ms): the start of a session that began after a
   * logout in this broker. Its tabs saw the previous session's events; the overlap must not bring them back.
   */
  notBefore?: number;
  /** Still the connection this replay was started for. */
  current(): boolean;
  token(): Promise<TokenResult>;
  /** The session is a cookie: the request sends the browser's cookies, and no token is asked. */
  cookie?: boolean;
  /** The dialect's reader of one entry of the answer. @default validateEnvelope */
  read?: (value: unknown) => ParsedFrame;
  /** Run the app's refreshToken in one tab (shared with a handshake's refresh); true when it succeeded. */
  refresh(): Promise<boolean>;
  /** Keys of stored events at or after `from` (ms). */
  known(from: number): Promise<Set<string>>;
  /** The edge checks and de-duplication: the event to deliver, or undefined. */
  admit(envelope: Envelope, at: number): RelayedEvent | undefined;
  /**
   * Deliver what one attempt gathered; returns how many were new (a live copy may have
   * arrived meanwhile). Only what is delivered is remembered as seen: an attempt that
   * fails halfway must leave its events to the next one.
   */
  deliver(events: RelayedEvent[]): number;
  /** Let held-back live events through. */
  release(): void;
  finished(ok: boolean, count: number, complete: boolean): void;
  report(error: TabwireErrorData): void;
}

const attempts = 3;
/** The largest answer read, in bytes, whatever the config allows. */
const maxBodyBytesCap = 8 * 1024 * 1024;
/** Pages fetched forward from the gap's start at most, when every answer comes back full. */
const maxPages = 5;
/**
 * Answers not retried: no events-since endpoint (optional in docs/protocol.md), or
 * FORBIDDEN (docs/protocol.md: "do not retry").
 */
const absent = new Set([403, 404, 405, 501]);

/**
 * Replay the gap that began at `since` (ms).
 *
 * Completeness is judged without assuming how the endpoint cuts a long answer
 * (docs/protocol.md gives only a page size, `replayLimit`): the start of the gap is
 * covered when the first answer was short or reaches back to `since`; the end is
 * covered once an answer comes back short, asking again from the newest event
 * received while answers are full. A server that keeps the newest N and one that
 * pages forward from `since` are both judged right; anything unsure is reported
 * incomplete, so apps refetch rather than miss events.
 *
 * Every way out while the connection is still current lets held live events
 * through and finishes the gap, complete only when the replay covered it.
 */
export async function replayMissed(port: ReplayPort, since: number): Promise<void> {
  let outcome: Outcome;
  try {
    outcome = await attemptReplay(port, since);
  } catch {
    // The token source or the refresh threw: the gap must still end.
    outcome = { failed: 'unexpected failure' };
  }
  if (outcome === 'stale' || !port.current()) return;
  port.release();
  if ('failed' in outcome) {
    port.report({ code: 'REPLAY_FAILED', message: `could not replay missed events: ${outcome.failed}` });
    port.finished(false, 0, false);
    return;
  }
  port.finished(true, outcome.count, outcome.complete);
}

/** How a replay ended: delivered, given up (why), or overtaken by another connection. */
type Outcome = { count: number; complete: boolean } | { failed: string } | 'stale';

/** Up to `attempts` tries with backoff; a refused token is refreshed once and tried again at once. */
async function attemptReplay(port: ReplayPort, since: number): Promise<Outcome> {
  let lastError = 'no token';
  let refreshed = false;
  let retryAtOnce = false;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0 && !retryAtOnce) {
      // Live events must not wait behind a failing endpoint.
      port.release();
      await new Promise<void>((resolve) => port.clock.setTimeout(() => resolve(), exponentialDelayMs(port.config.minDelayMs, attempt - 1)));
    }
    retryAtOnce = false;
    if (!port.current()) return 'stale';
    const token: TokenResult = port.cookie ? { ok: true, token: '' } : await port.token();
    if (!port.current()) return 'stale';
    if (!token.ok) continue;
    try {
      return await replayPages(port, since, token.token);
    } catch (error) {
      // Anything else (the log could not be read) is retried too; its message could name internals.
      if (!(error instanceof ReplayError)) {
        lastError = 'unexpected failure';
        continue;
      }
      lastError = error.message;
      if (error.status !== undefined && absent.has(error.status)) break;
      // The token expired since the handshake: refresh once (in one tab, as for the socket) and ask
      // again at once. Refused again, or the refresh refused: retrying would not help.
      if (error.status === 401) {
        if (refreshed || !(await port.refresh())) break;
        refreshed = true;
        retryAtOnce = true;
      }
    }
  }
  return { failed: lastError };
}

/** One attempt: the pages of the gap, de-duplicated, delivered oldest first. */
async function replayPages(port: ReplayPort, since: number, token: string): Promise<Outcome> {
  const { config } = port;
  const from = Math.max(since - config.replayOverlapMs, port.notBefore ?? Number.NEGATIVE_INFINITY);
  const tenantId = port.tenantId();
  const known = await port.known(from);
  const missed: RelayedEvent[] = [];
  const taken = new Set<string>();
  let startCovered = false;
  let endCovered = false;
  let cursor = from;
  for (let page = 0; page < maxPages; page++) {
    const answer = await fetchMissedEvents({
      url: config.eventsSinceUrl!,
      base: port.baseUrl,
      sinceIso: new Date(cursor).toISOString(),
      token,
      cookie: port.cookie === true,
      ...(port.read ? { read: port.read } : {}),
      tenantId,
      // One attempt's budget, headers and body together: a body that stalls must not hold live events back.
      timeoutMs: config.replayTimeoutMs,
      maxBodyBytes: maxBodyBytesFor(config),
      clock: port.clock,
      fetch: port.fetch,
    });
    if (!port.current()) return 'stale';
    let fresh = 0;
    for (const { envelope, at } of answer.events) {
      if (at < from) continue;
      const event = port.admit(envelope, at);
      if (!event || known.has(event.key) || taken.has(event.key)) continue;
      taken.add(event.key);
      missed.push(event);
      fresh++;
    }
    const full = answer.returned >= config.replayLimit;
    if (page === 0) startCovered = !full || (answer.events[0] !== undefined && answer.events[0].at <= since);
    if (!full) {
      endCovered = true;
      break;
    }
    const newest = answer.events.at(-1)?.at;
    // A full answer that brought nothing new or does not move forward: asking again would not help.
    if (newest === undefined || newest <= cursor || fresh === 0) break;
    cursor = newest;
  }
  missed.sort((a, b) => a.at - b.at);
  const delivered = port.deliver(missed);
  return { count: delivered, complete: startCovered && endCovered };
}

/**
 * The byte cap of one answer: `replayLimit` frames of `maxFrameBytes` characters
 * (up to 3 bytes each in UTF-8) and some room for a wrapping object, at most 8 MiB.
 */
export function maxBodyBytesFor(config: Pick<BrokerConfig, 'replayLimit' | 'maxFrameBytes'>): number {
  return Math.min(maxBodyBytesCap, config.replayLimit * config.maxFrameBytes * 3 + 64 * 1024);
}

export interface ReplayRequest {
  url: string;
  /** Resolve relative URLs against this (the worker's own location). */
  base: string;
  sinceIso: string;
  token: string;
  /** Send the browser's cookies (`credentials: 'include'`) instead of a bearer token. */
  cookie?: boolean;
  /** Reads one entry of the answer. @default validateEnvelope */
  read?: (value: unknown) => ParsedFrame;
  tenantId: string | undefined;
  /** The whole exchange, headers and body, must be over within this, in ms. */
  timeoutMs: number;
  /** A longer answer is aborted, in bytes. */
  maxBodyBytes: number;
  /** Measures `timeoutMs`. */
  clock: Clock;
  fetch: typeof fetch;
}

export interface ReplayAnswer {
  events: Array<{ envelope: Envelope; at: number }>;
  /** How many entries the server returned (before validation), to judge truncation. */
  returned: number;
}

export class ReplayError extends Error {
  constructor(
    message: string,
    /** The HTTP status, when the endpoint answered (401: the token was refused). */
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

/** What a header carries as it is: Latin-1 without control characters, and no space at either end (it would be trimmed). */
const headerSafe = /^(?:[\x21-\x7e\xa1-\xff](?:[\x20-\x7e\xa0-\xff]*[\x21-\x7e\xa1-\xff])?)$/;

/**
 * The `X-Tenant-Id` value for a tenant id (docs/protocol.md "The events-since endpoint"): the id as it
 * is when a header can carry it, else its UTF-8 percent-encoded (`encodeURIComponent`), where a header
 * would throw on every replay or lose characters.
 */
export function tenantHeaderValue(tenantId: string): string {
  return headerSafe.test(tenantId) ? tenantId : encodeURIComponent(tenantId);
}

export async function fetchMissedEvents(request: ReplayRequest): Promise<ReplayAnswer> {
  const url = new URL(request.url, request.base);
  url.searchParams.set('since', request.sinceIso);
  const headers: Record<string, string> = request.cookie ? { Accept: 'application/json' } : { Authorization: `Bearer ${request.token}`, Accept: 'application/json' };
  if (request.tenantId) headers['X-Tenant-Id'] = tenantHeaderValue(request.tenantId);
  const abort = new AbortController();
  const timer = request.clock.setTimeout(() => abort.abort(), request.timeoutMs);
  // Never echo the request or the underlying error: the headers hold the token.
  const failure = (what: string) => new ReplayError(abort.signal.aborted ? `events-since timed out after ${request.timeoutMs} ms` : what);
  try {
    let response: Response;
    try {
      // A redirect is a failed replay: the headers hold the token, and the answer must come from the endpoint asked.
      const init: RequestInit = { headers, signal: abort.signal, credentials: request.cookie ? 'include' : 'omit', cache: 'no-store', redirect: 'error' };
      response = await untilAborted(request.fetch(url, init), abort.signal);
    } catch {
      throw failure('events-since request failed');
    }
    if (!response.ok) {
      response.body?.cancel().catch(() => {});
      throw new ReplayError(`events-since answered HTTP ${response.status}`, response.status);
    }
    const text = await readCapped(response, request.maxBodyBytes, abort).catch((error: unknown) => {
      throw error instanceof ReplayError ? error : failure('events-since answer could not be read');
    });
    return parseAnswer(text, request.read ?? validateEnvelope);
  } finally {
    request.clock.clearTimeout(timer);
  }
}

/** `promise`, or a rejection once `signal` aborts: a fake or odd fetch may not honour the signal itself. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(new Error('aborted'));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new Error('aborted'));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/** The body as text, read chunk by chunk so that neither a stall (abort) nor a flood (the cap) holds on. */
async function readCapped(response: Response, maxBytes: number, abort: AbortController): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let size = 0;
  try {
    for (;;) {
      const { done, value } = await untilAborted(reader.read(), abort.signal);
      if (done) return text + decoder.decode();
      size += value.byteLength;
      if (size > maxBytes) throw new ReplayError(`events-since answer exceeds ${maxBytes} bytes`);
      text += decoder.decode(value, { stream: true });
    }
  } catch (error) {
    // Over the cap: stop the download. In every case free the stream (cancelling an aborted one may reject).
    if (error instanceof ReplayError) abort.abort();
    reader.cancel().catch(() => {});
    throw error;
  }
}

function parseAnswer(text: string, read: (value: unknown) => ParsedFrame): ReplayAnswer {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    throw new ReplayError('events-since answered something that is not JSON');
  }
  const entries = envelopesOf(body);
  if (!entries) throw new ReplayError('events-since answer has no array of events');
  const events: ReplayAnswer['events'] = [];
  for (const entry of entries) {
    const parsed = read(entry);
    // Coverage and paging compare instants: an entry without one (a terse control frame) is not an event.
    if (parsed.ok && Number.isFinite(parsed.at)) events.push({ envelope: parsed.envelope, at: parsed.at });
  }
  events.sort((a, b) => a.at - b.at);
  return { events, returned: entries.length };
}
