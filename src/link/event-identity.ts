/**
 * How events are told apart, the same way in the broker (de-duplication of
 * replays, reconnects, the log) and in the tab (the handoff between two
 * brokers): one rule, so both sides agree on what "the same event" is. Pure.
 */
import type { Envelope } from './envelope.ts';

/** 32-bit FNV-1a of a string, as 8 hex digits. Fast, no allocation per character. */
export function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0');
}

/**
 * Deeper than this, canonicalJson writes a marker instead of descending. The
 * edge refuses frames nested deeper than 64 levels, so admitted payloads hash
 * whole; the bound is for anything else it is given.
 */
const maxCanonicalDepth = 256;

/**
 * JSON text of a value with object keys sorted: the same payload gives the same
 * text whichever order a server (a JSONB column, another serialiser) wrote it in.
 * Never throws: it runs on the delivery path, for any payload.
 */
export function canonicalJson(value: unknown): string {
  try {
    return canonical(value, []);
  } catch {
    // A getter or proxy that throws (never in parsed JSON): still a key, never an exception.
    return '"[unreadable]"';
  }
}

/** `path`: the objects being written around `value`, to bound the depth and to spot cycles. */
function canonical(value: unknown, path: object[]): string {
  if (typeof value === 'bigint') return `"${value}"`;
  if (typeof value !== 'object' || value === null) return JSON.stringify(value) ?? 'null';
  if (path.length >= maxCanonicalDepth) return '"[too deep]"';
  if (path.includes(value)) return '"[cycle]"';
  path.push(value);
  let text: string;
  if (Array.isArray(value)) {
    text = '[';
    for (let i = 0; i < value.length; i++) text += (i === 0 ? '' : ',') + canonical(value[i], path);
    text += ']';
  } else {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record)
      .filter((key) => record[key] !== undefined)
      .sort();
    text = '{';
    for (let i = 0; i < keys.length; i++) text += `${i === 0 ? '' : ','}${JSON.stringify(keys[i])}:${canonical(record[keys[i]!], path)}`;
    text += '}';
  }
  path.pop();
  return text;
}

/**
 * The identity of an event, for de-duplication (replay overlap, flapping
 * connections, a tab moving between workers). `eventId` when the server sends
 * one (older drafts); otherwise type + instant + a hash of the payload, so two
 * different events in the same millisecond stay distinct and the same event
 * replayed through REST is recognised even when the REST side spells it
 * differently: the instant is compared in ms (`…:00Z` and `…:00.000Z` agree)
 * and the payload with its keys sorted.
 */
export function eventKey(envelope: Envelope): string {
  if (typeof envelope.eventId === 'string' && envelope.eventId.length > 0) return `id:${envelope.eventId}`;
  return `${envelope.type}|${Date.parse(envelope.timestamp)}|${fnv1a(canonicalJson(envelope.data))}`;
}
