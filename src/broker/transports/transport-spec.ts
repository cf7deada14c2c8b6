/**
 * The transport as the broker runs with it: the app's `transport` option
 * (link/transport-option.ts), as a port carried it, checked and with its defaults filled in.
 * Only the broker reads it, like the dialect; the tab only needs `isSse` to check the URL.
 */
import { TabwireError } from '../../link/errors.ts';
import { isSse } from '../../link/transport-option.ts';

const invalid = (message: string) => new TabwireError({ code: 'INVALID_ARGUMENT', message });

/** An SSE stream's description with every default filled in: what the broker runs with. */
export interface SseSpec {
  type: 'sse';
  reader: 'eventsource' | 'fetch';
  auth: 'cookie' | 'bearer' | { queryParam: string };
  method: 'GET' | 'POST';
  body?: string;
  acceptance: 'open' | 'event';
  resume: boolean;
  lastEventIdParam: string;
  events: string[];
  idField?: string;
  heartbeat: string;
  silenceTimeoutMs: number;
}

const maxName = 200;
const maxEvents = 100;
const maxBodyChars = 64 * 1024;
/** A name that can sit in a query string or an `event:` line as it is. */
const isName = (value: unknown): value is string =>
  typeof value === 'string' && value.length > 0 && value.length <= maxName && !/[\s\u0000-\u001f&=#?]/.test(value);

function pick<T extends string>(value: unknown, allowed: readonly T[], path: string, fallback: T): T {
  if (value === undefined) return fallback;
  if (!allowed.includes(value as T)) throw invalid(`${path} must be ${allowed.map((a) => `'${a}'`).join(' or ')}`);
  return value as T;
}

function readAuth(value: unknown): SseSpec['auth'] {
  if (value === undefined || value === 'cookie' || value === 'bearer') return value ?? 'cookie';
  const param = (value as { queryParam?: unknown } | null)?.queryParam;
  if (typeof value === 'object' && isName(param)) return { queryParam: param };
  throw invalid(`transport.auth must be 'cookie', 'bearer' or { queryParam: '<name>' }`);
}

function readEvents(value: unknown): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || value.length > maxEvents || !value.every(isName)) {
    throw invalid(`transport.events must be an array of at most ${maxEvents} event names`);
  }
  return [...new Set(value as string[])];
}

function readSilence(value: unknown): number {
  if (value === undefined) return 45_000;
  if (value === 0 || (typeof value === 'number' && value >= 1000 && value <= 10 * 60_000)) return value;
  throw invalid('transport.silenceTimeoutMs must be 0 or a number from 1000 to 600000 (ms)');
}

/**
 * The transport to run with, checked and with its defaults filled in: undefined for a WebSocket
 * (the default, and what an absent option means). Throws `TabwireError` INVALID_ARGUMENT naming
 * the option. Never echoes a value: a body or a parameter name could be the app's secret.
 */
export function readTransportSpec(value: unknown): SseSpec | undefined {
  if (value === undefined || value === 'websocket') return undefined;
  if (!isSse(value)) throw invalid(`transport must be 'websocket', 'sse' or { type: 'sse', … }`);
  const given = (typeof value === 'object' ? value : {}) as Record<string, unknown>;
  const auth = readAuth(given.auth);
  const method = pick(given.method, ['GET', 'POST'], 'transport.method', 'GET');
  const needsFetch = auth === 'bearer' || method === 'POST';
  const reader = pick(given.reader, ['eventsource', 'fetch'], 'transport.reader', needsFetch ? 'fetch' : 'eventsource');
  if (reader === 'eventsource' && needsFetch) throw invalid(`transport.reader 'eventsource' cannot send a header or POST: use 'fetch'`);
  if (given.body !== undefined && (typeof given.body !== 'string' || given.body.length > maxBodyChars || method !== 'POST')) {
    throw invalid(`transport.body must be a string of at most ${maxBodyChars} characters, with method 'POST'`);
  }
  if (given.resume !== undefined && typeof given.resume !== 'boolean') throw invalid('transport.resume must be a boolean');
  const lastEventIdParam = given.lastEventIdParam ?? 'lastEventId';
  if (!isName(lastEventIdParam)) throw invalid('transport.lastEventIdParam must be a query parameter name');
  if (given.idField !== undefined && !isName(given.idField)) throw invalid('transport.idField must be a field name');
  const heartbeat = given.heartbeat ?? 'ping';
  if (!isName(heartbeat)) throw invalid('transport.heartbeat must be an event name');
  return {
    type: 'sse',
    reader,
    auth,
    method,
    ...(typeof given.body === 'string' ? { body: given.body } : {}),
    acceptance: pick(given.acceptance, ['open', 'event'], 'transport.acceptance', 'open'),
    resume: given.resume === true,
    lastEventIdParam,
    events: readEvents(given.events),
    ...(typeof given.idField === 'string' ? { idField: given.idField } : {}),
    heartbeat,
    silenceTimeoutMs: readSilence(given.silenceTimeoutMs),
  };
}
