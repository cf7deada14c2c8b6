/**
 * How the app describes its backend's dialect, as plain data: it travels to the worker with
 * the rest of the config (a function could not cross a port). `'purposepath'` is the dialect
 * docs/protocol.md describes, and the default; `{ preset: 'json', … }` names the fields and
 * frames of any backend that speaks JSON over the socket (docs/protocols.md).
 */
import { TabwireError } from './errors.ts';

const invalid = (message: string) => new TabwireError({ code: 'INVALID_ARGUMENT', message });

/** Where the parts of an event sit in a frame of a JSON backend: top-level field names. */
export interface EnvelopeFields {
  /** The event's type (dot notation is only a convention). @default 'type' */
  type?: string;
  /** When the server sent it: ISO 8601 with zone, or milliseconds since the epoch. @default 'timestamp' */
  timestamp?: string;
  /** The payload, an object. A frame without it is an event with an empty payload. @default 'data' */
  data?: string;
  /** A unique id, used to drop duplicates (replayed and live copies). @default none */
  id?: string;
  /** The tenant the event belongs to; checked against the session's. @default none */
  tenant?: string;
}

/** How the socket authenticates after it opens: a frame carrying the token. */
export interface TokenAuth {
  /** The frame sent, with the token added under `tokenField`. @default { action: 'auth' } */
  frame?: Record<string, unknown>;
  /** @default 'token' */
  tokenField?: string;
}

/** Types of the control frames the server sends (matched exactly, on the `type` field). */
export interface ControlTypes {
  /**
   * The server's acceptance of the handshake; its payload's `tenantId` and `userId` name the
   * session, its timestamp sets the server's clock. Cookie auth without it: the socket's opening
   * is the acceptance. @default 'auth.success' with token auth, none with cookie auth
   */
  authSuccess?: string;
  /** The server's refusal of the handshake; its payload's `code` decides (UNAUTHORIZED, FORBIDDEN…). @default 'auth.error' */
  authError?: string;
  /** Any type ending with this is an error frame, payload `{ code, message | error }`. @default '.error' */
  errorSuffix?: string;
  /** A ping from the server, answered with `keepAlive.reply`. @default 'ping' */
  ping?: string;
}

/** Keeping an idle socket alive, and noticing a dead one. */
export interface KeepAliveSpec {
  /** Sent after `keepAliveMs` without sending anything; none: the client never pings. @default none */
  frame?: Record<string, unknown>;
  /** The type of the server's answer to `frame`. @default 'pong' */
  pong?: string;
  /**
   * How long to wait for `pong` after a ping before the socket counts as dead and is replaced,
   * in ms; none: no answer is awaited. @default none
   */
  timeoutMs?: number;
  /** The answer to a server ping (`control.ping`). @default { type: <pong> } in the envelope's type field */
  reply?: Record<string, unknown>;
}

/** A backend that speaks JSON, described field by field (docs/protocols.md). */
export interface JsonProtocolOptions {
  preset: 'json';
  envelope?: EnvelopeFields;
  /** `'cookie'`: the upgrade request's cookies authenticate, no token is asked. @default a token frame */
  auth?: 'cookie' | TokenAuth;
  control?: ControlTypes;
  keepAlive?: KeepAliveSpec;
}

/** The app's `protocol` option. @default 'purposepath' */
export type ProtocolOption = 'purposepath' | JsonProtocolOptions;

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
 * the option. Used by the tab on the app's options and by the worker on what a port carried.
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
