/**
 * Server frames: parsing and validation at the edge, once per frame in the worker
 * (docs/protocol.md "Envelope"). Never throws: a bad frame becomes a rejection that
 * names the field and what it got, so it can be dropped, counted and reported.
 */
import type { Envelope } from '../../link/envelope.ts';
import { optionDefaults } from '../../link/config.ts';
import { isControlType } from '../../link/control-types.ts';



/** `DIALECT_FAILED`: the dialect's own `read`, `classify` or `normalize` threw on the frame. */
export type FrameRejectionCode = 'MALFORMED_FRAME' | 'OVERSIZED_FRAME' | 'TOO_DEEP' | 'DIALECT_FAILED';

export interface FrameRejection {
  code: FrameRejectionCode;
  /** Names the field and what it got; never contains the frame itself (it could hold secrets). */
  message: string;
  /** The frame's type, when it had one. */
  type?: string;
}

export type ParsedFrame =
  | { ok: true; envelope: Envelope; /** Milliseconds since epoch of `timestamp`. */ at: number }
  | { ok: false; rejection: FrameRejection };

/** Default largest accepted frame, in UTF-16 code units (≈ bytes for JSON): 1 MiB. */
export const defaultMaxFrameBytes: number = optionDefaults.maxFrameBytes;

const strictIso = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:Z|[+-]\d{2}:?\d{2})$/;

/** Milliseconds since epoch for an ISO 8601 date-time with zone, or NaN. */
export function parseIsoTimestamp(value: unknown): number {
  if (typeof value !== 'string' || value.length > 40 || !strictIso.test(value)) return Number.NaN;
  return Date.parse(value);
}

/**
 * Most levels of objects and arrays a frame's `data` may nest, `data` itself
 * being the first. What handles an event after the edge may recurse (hashing,
 * cloning, serialising): a hostile depth must stop here.
 */
export const maxDataDepth = 64;

/** The walk's stack, reused: the check runs once per frame and must not allocate per frame. */
const pending: object[] = [];
const depths: number[] = [];

/**
 * True when objects and arrays nest more than `limit` levels below `root`.
 * Iterative, with its own stack: a frame 100,000 levels deep cannot overflow it.
 */
function nestsDeeperThan(root: object, limit: number): boolean {
  pending.push(root);
  depths.push(0);
  let deeper = false;
  while (pending.length > 0 && !deeper) {
    const value = pending.pop() as Record<string, unknown>;
    const depth = depths.pop()!;
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length && !deeper; i++) deeper = descend(value[i], depth, limit);
    } else {
      for (const key in value) if ((deeper = descend(value[key], depth, limit))) break;
    }
  }
  pending.length = 0;
  depths.length = 0;
  return deeper;
}

/** Queue `item` when it is an object or array; true when that would pass `limit`. */
function descend(item: unknown, depth: number, limit: number): boolean {
  if (typeof item !== 'object' || item === null) return false;
  if (depth >= limit) return true;
  pending.push(item);
  depths.push(depth + 1);
  return false;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return value.length > 40 ? 'a long string' : `"${value}"`;
  return typeof value;
}

function reject(code: FrameRejectionCode, message: string): ParsedFrame {
  return { ok: false, rejection: { code, message } };
}

/**
 * Validate an already-parsed value as an envelope. `isControl` names the dialect's control
 * types, acted on even when terse. @default PurposePath's (`auth.*`, `*.error`, `ping`, `pong`)
 */
export function validateEnvelope(value: unknown, isControl: (type: string) => boolean = isControlType): ParsedFrame {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return reject('MALFORMED_FRAME', `frame must be a JSON object, got ${describe(value)}`);
  }
  const frame = value as Record<string, unknown>;
  if (typeof frame.type !== 'string' || frame.type.length === 0 || frame.type.length > 200) {
    return reject('MALFORMED_FRAME', `type must be a non-empty string, got ${describe(frame.type)}`);
  }
  // The frame is level 0, its data level 1: every field is held to the depth allowed for data.
  if (nestsDeeperThan(frame, maxDataDepth)) {
    return reject('TOO_DEEP', `${frame.type} nests deeper than ${maxDataDepth} levels`);
  }
  const data = frame.data;
  const isObject = typeof data === 'object' && data !== null && !Array.isArray(data);
  const at = parseIsoTimestamp(frame.timestamp);
  // Control frames are acted on even when terse: docs/protocol.md shows the older draft's ping as a bare
  // {"type":"ping"}, and a server's pong or auth.error without a timestamp must not stall the handshake.
  // Their `at` is NaN when they carry no timestamp; nothing orders or logs them.
  if (isControl(frame.type) && (!isObject || Number.isNaN(at))) {
    const terse = { ...frame, data: isObject ? data : {} } as unknown as Envelope;
    return { ok: true, envelope: terse, at };
  }
  if (!isObject) {
    return reject('MALFORMED_FRAME', `data of ${frame.type} must be an object, got ${describe(data)}`);
  }
  if (Number.isNaN(at)) {
    return reject('MALFORMED_FRAME', `timestamp of ${frame.type} must be ISO 8601, got ${describe(frame.timestamp)}`);
  }
  if (frame.eventId !== undefined && typeof frame.eventId !== 'string') {
    return reject('MALFORMED_FRAME', `eventId of ${frame.type} must be a string, got ${describe(frame.eventId)}`);
  }
  if (frame.tenantId !== undefined && typeof frame.tenantId !== 'string') {
    return reject('MALFORMED_FRAME', `tenantId of ${frame.type} must be a string, got ${describe(frame.tenantId)}`);
  }
  return { ok: true, envelope: frame as unknown as Envelope, at };
}

/**
 * Parse one WebSocket message. Binary frames and oversized text are rejected before parsing;
 * `read` turns the JSON into an envelope (the dialect's reader). @default validateEnvelope
 */
export function parseFrame(
  raw: unknown,
  maxFrameBytes: number = defaultMaxFrameBytes,
  read: (value: unknown) => ParsedFrame = validateEnvelope,
): ParsedFrame {
  if (typeof raw !== 'string') {
    return reject('MALFORMED_FRAME', `frame must be text, got ${raw === null ? 'null' : 'binary data'}`);
  }
  if (raw.length > maxFrameBytes) {
    return reject('OVERSIZED_FRAME', `frame of ${raw.length} bytes exceeds maxFrameBytes ${maxFrameBytes}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return reject('MALFORMED_FRAME', `frame is not JSON (${raw.length} bytes)`);
  }
  return read(value);
}

/** The tenant an envelope claims: the payload's, else the envelope's (older drafts). */
export function tenantOf(envelope: Envelope): string | undefined {
  const fromData = envelope.data.tenantId;
  if (typeof fromData === 'string') return fromData;
  return envelope.tenantId;
}
