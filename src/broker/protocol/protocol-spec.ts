/**
 * The backend's dialect and payload schemas as the broker runs with them: the app's
 * `protocol` and `schemas` options (link/protocol-option.ts), as a port carried them,
 * checked and with their defaults filled in. Only the broker reads them: their checks and
 * defaults would weigh on every app's page, and a tab of a PurposePath app never needs them.
 */
import { TabwireError } from '../../link/errors.ts';
import type { EnvelopeFields, TokenAuth } from '../../link/protocol-option.ts';

const invalid = (message: string) => new TabwireError({ code: 'INVALID_ARGUMENT', message });

/** A JSON backend's description with every default filled in: what the broker runs with. */
export interface JsonProtocolSpec {
  preset: 'json';
  envelope: Required<Pick<EnvelopeFields, 'type' | 'timestamp' | 'data'>> & Pick<EnvelopeFields, 'id' | 'tenant'>;
  auth: 'cookie' | Required<TokenAuth>;
  control: { authSuccess?: string; authError: string; errorSuffix: string; ping: string };
  keepAlive: { frame?: Record<string, unknown>; pong: string; timeoutMs?: number; reply: Record<string, unknown> };
}

const maxName = 200;
const isName = (value: unknown): value is string => typeof value === 'string' && value.length > 0 && value.length <= maxName;
const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** A copy of a frame template that is JSON data only (a port or JSON.stringify would fail on the rest). */
function frameTemplate(value: unknown, path: string): Record<string, unknown> {
  if (!isPlainObject(value)) throw invalid(`${path} must be an object (a JSON frame)`);
  try {
    return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
  } catch {
    throw invalid(`${path} must be JSON data`);
  }
}

/** `value[key]` when it is a field or type name, `fallback` when left out; throws naming `path.key` otherwise. */
function name(group: Record<string, unknown>, key: string, path: string, fallback?: string): string | undefined {
  const value = group[key];
  if (value === undefined) return fallback;
  if (!isName(value)) throw invalid(`${path}.${key} must be a non-empty string of at most ${maxName} characters`);
  return value;
}

const group = (value: unknown, path: string): Record<string, unknown> => {
  if (value === undefined) return {};
  if (!isPlainObject(value)) throw invalid(`${path} must be an object`);
  return value;
};

const optional = <K extends string>(key: K, value: string | undefined) => (value === undefined ? {} : ({ [key]: value } as Record<K, string>));

function readEnvelopeFields(value: unknown): JsonProtocolSpec['envelope'] {
  const fields = group(value, 'protocol.envelope');
  const path = 'protocol.envelope';
  return {
    type: name(fields, 'type', path, 'type')!,
    timestamp: name(fields, 'timestamp', path, 'timestamp')!,
    data: name(fields, 'data', path, 'data')!,
    ...optional('id', name(fields, 'id', path)),
    ...optional('tenant', name(fields, 'tenant', path)),
  };
}

function readAuth(value: unknown): JsonProtocolSpec['auth'] {
  if (value === 'cookie') return 'cookie';
  const auth = group(value, 'protocol.auth');
  return {
    frame: auth.frame === undefined ? { action: 'auth' } : frameTemplate(auth.frame, 'protocol.auth.frame'),
    tokenField: name(auth, 'tokenField', 'protocol.auth', 'token')!,
  };
}

function readKeepAlive(value: unknown, typeField: string): JsonProtocolSpec['keepAlive'] {
  const keepAlive = group(value, 'protocol.keepAlive');
  const pong = name(keepAlive, 'pong', 'protocol.keepAlive', 'pong')!;
  const timeoutMs = keepAlive.timeoutMs;
  if (timeoutMs !== undefined && !(typeof timeoutMs === 'number' && timeoutMs >= 100 && timeoutMs <= 10 * 60_000)) {
    throw invalid('protocol.keepAlive.timeoutMs must be a number from 100 to 600000 (ms)');
  }
  return {
    ...(keepAlive.frame !== undefined ? { frame: frameTemplate(keepAlive.frame, 'protocol.keepAlive.frame') } : {}),
    pong,
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    reply: keepAlive.reply === undefined ? { [typeField]: pong } : frameTemplate(keepAlive.reply, 'protocol.keepAlive.reply'),
  };
}

/**
 * The dialect to run with, checked and with its defaults filled in: undefined for PurposePath
 * (the default, and what an absent option means). Throws `TabwireError` INVALID_ARGUMENT naming
 * the option. Read from what a port carried, and from the options an app's own worker entry
 * gives `jsonProtocol` (kit.ts).
 */
export function readProtocolSpec(value: unknown): JsonProtocolSpec | undefined {
  if (value === undefined || value === 'purposepath') return undefined;
  if (!isPlainObject(value) || value.preset !== 'json') throw invalid(`protocol must be 'purposepath' or { preset: 'json', … }`);
  const envelope = readEnvelopeFields(value.envelope);
  const auth = readAuth(value.auth);
  const control = group(value.control, 'protocol.control');
  const path = 'protocol.control';
  return {
    preset: 'json',
    envelope,
    auth,
    control: {
      ...optional('authSuccess', name(control, 'authSuccess', path, auth === 'cookie' ? undefined : 'auth.success')),
      authError: name(control, 'authError', path, 'auth.error')!,
      errorSuffix: name(control, 'errorSuffix', path, '.error')!,
      ping: name(control, 'ping', path, 'ping')!,
    },
    keepAlive: readKeepAlive(value.keepAlive, envelope.type),
  };
}

/** Most payload schemas an app may give: each is compiled and kept by the worker. */
const maxSchemas = 1000;
/** `field[:kind][?]` separated by single spaces; kinds s, n, b, a, z (docs/protocols.md "Payload schemas"). */
const schemaLine = /^[A-Za-z_$][\w$-]*(?::[snbaz])?\??(?: [A-Za-z_$][\w$-]*(?::[snbaz])?\??)*$/;

/**
 * The app's payload schemas, by event type, in the compact form; throws INVALID_ARGUMENT
 * naming the first bad one. Undefined when none were given.
 */
export function readSchemas(value: unknown): Record<string, string> | undefined {
  if (value === undefined) return undefined;
  if (!isPlainObject(value)) throw invalid(`schemas must be an object of type → 'field field:n field?'`);
  const entries = Object.entries(value);
  if (entries.length > maxSchemas) throw invalid(`schemas may name at most ${maxSchemas} types`);
  const schemas: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [type, line] of entries) {
    if (typeof line !== 'string' || line.length > 4000 || !schemaLine.test(line)) {
      throw invalid(`schemas[${JSON.stringify(type.slice(0, 100))}] must be fields like 'id text:s count:n note?'`);
    }
    schemas[type] = line;
  }
  // A plain object again: structured clone keeps own keys, `__proto__` included, as data.
  return { ...schemas };
}
