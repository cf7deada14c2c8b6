/**
 * What the event log keeps and how events are told apart. Pure: the IndexedDB
 * adapter asks these functions and performs the answer in one transaction.
 */
import { defaults } from '../../link/defaults.ts';
import type { Envelope } from '../../link/envelope.ts';

export interface LogPolicy {
  /** Most events kept per namespace. @default 500 */
  maxEvents: number;
  /** Oldest event kept, in ms before now. @default 86_400_000 (24 h) */
  maxAgeMs: number;
}

export const defaultLogPolicy: LogPolicy = { maxEvents: defaults.logMaxEvents, maxAgeMs: defaults.logMaxAgeMs };

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

/** How many of the oldest events to delete so that `count` fits the policy. */
export function excessByCount(count: number, policy: LogPolicy): number {
  return Math.max(0, count - policy.maxEvents);
}

/** Events at or before this instant (ms) are too old to keep. */
export function ageCutoff(now: number, policy: LogPolicy): number {
  return now - policy.maxAgeMs;
}

/**
 * The newest event seen, and the keys of every event seen at that instant —
 * several events can share a millisecond, so a replay asking `since` that
 * instant must be told which of them it already has.
 */
export interface LastSeen {
  /** ms since epoch. */
  at: number;
  keys: string[];
}

/** Keys kept per instant; beyond this, the overlap window's dedupe set covers it. */
const maxKeysPerInstant = 64;

export function advanceLastSeen(lastSeen: LastSeen | null, at: number, key: string): LastSeen {
  if (!lastSeen || at > lastSeen.at) return { at, keys: [key] };
  if (at < lastSeen.at || lastSeen.keys.includes(key)) return lastSeen;
  const keys = lastSeen.keys.length >= maxKeysPerInstant ? lastSeen.keys.slice(1) : lastSeen.keys.slice();
  keys.push(key);
  return { at, keys };
}

/** A bounded set of recently seen keys, oldest forgotten first. */
export class RecentKeys {
  private readonly keys = new Set<string>();

  constructor(private readonly capacity: number) {}

  has(key: string): boolean {
    return this.keys.has(key);
  }

  /** Adds a key; returns false when it was already there (a duplicate). */
  add(key: string): boolean {
    if (this.keys.has(key)) return false;
    this.keys.add(key);
    if (this.keys.size > this.capacity) {
      const oldest = this.keys.values().next().value;
      if (oldest !== undefined) this.keys.delete(oldest);
    }
    return true;
  }

  clear(): void {
    this.keys.clear();
  }

  get size(): number {
    return this.keys.size;
  }
}
