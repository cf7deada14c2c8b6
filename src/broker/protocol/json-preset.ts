/**
 * The generic JSON dialect: a backend described field by field as plain data
 * (`JsonProtocolSpec`, docs/protocols.md). Frames are read into the normalised
 * envelope the engine knows; nothing of PurposePath's dialect applies.
 */
import type { JsonProtocolSpec } from './protocol-spec.ts';
import { type ParsedFrame, validateEnvelope } from './envelope.ts';
import type { Protocol, ServerFrame } from './wire.ts';

const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);

/** Largest time `Date` holds, in ms either side of the epoch: beyond it `toISOString` throws. */
const maxDateMs = 8.64e15;

/** A timestamp given as milliseconds since the epoch, as ISO 8601; anything else as it came (validated later). */
const isoOf = (value: unknown): unknown =>
  typeof value === 'number' && Number.isFinite(value) && Math.abs(value) <= maxDateMs ? new Date(value).toISOString() : value;

/** An id given as a number is an id all the same. */
const idOf = (value: unknown): unknown => (typeof value === 'number' && Number.isFinite(value) ? String(value) : value);

export function jsonProtocol(spec: JsonProtocolSpec): Protocol {
  const { envelope: fields, control, keepAlive, auth } = spec;
  const isControl = (type: string) =>
    type === control.authSuccess || type === control.authError || type === control.ping || type === keepAlive.pong || type.endsWith(control.errorSuffix);

  const read = (value: unknown): ParsedFrame => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return validateEnvelope(value, isControl);
    const frame = value as Record<string, unknown>;
    const at = (field: string | undefined) => (field !== undefined && Object.hasOwn(frame, field) ? frame[field] : undefined);
    const id = idOf(at(fields.id));
    const tenant = at(fields.tenant);
    return validateEnvelope(
      {
        type: at(fields.type),
        timestamp: isoOf(at(fields.timestamp)),
        data: at(fields.data) ?? {},
        ...(id !== undefined ? { eventId: id } : {}),
        ...(tenant !== undefined ? { tenantId: tenant } : {}),
      },
      isControl,
    );
  };

  const classify = ({ type, data }: { type: string; data: Record<string, unknown> }): ServerFrame => {
    if (type === control.authSuccess) {
      return { kind: 'auth-accepted', session: { tenantId: str(data.tenantId), userId: str(data.userId), connectionId: str(data.connectionId) } };
    }
    if (type === control.authError || type.endsWith(control.errorSuffix)) {
      const code = str(data.code) ?? (type === control.authError ? 'UNAUTHORIZED' : 'UNKNOWN');
      const message = str(data.message) ?? str(data.error) ?? 'server error';
      // Only an expired or revoked session concerns the whole connection; any other error one request.
      const during = type === control.authError ? 'auth' : code === 'UNAUTHORIZED' ? 'connection' : 'request';
      return { kind: 'error', code, message, during };
    }
    if (type === control.ping) return { kind: 'ping' };
    if (type === keepAlive.pong) return { kind: 'pong' };
    return { kind: 'event' };
  };

  const ping = keepAlive.frame ? JSON.stringify(keepAlive.frame) : undefined;
  const pong = JSON.stringify(keepAlive.reply);
  return {
    auth: auth === 'cookie' ? 'cookie' : 'token',
    acceptsOnOpen: auth === 'cookie' && control.authSuccess === undefined,
    authFrame: (token) => JSON.stringify(auth === 'cookie' ? {} : { ...auth.frame, [auth.tokenField]: token }),
    pingFrame: () => ping,
    // Awaiting a pong only makes sense when the client pings.
    ...(ping !== undefined && keepAlive.timeoutMs !== undefined ? { pongTimeoutMs: keepAlive.timeoutMs } : {}),
    pongFrame: () => pong,
    read,
    classify,
  };
}
