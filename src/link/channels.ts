/**
 * What tab and broker agree on about channels: what a tab subscribes to, where a channel stands
 * in its stream, and the canonical key that makes two subscriptions to the same channel one
 * (its name and its params as stable JSON: object keys sorted, so `{a,b}` and `{b,a}` are equal).
 */
import { errorData } from './errors.ts';

/** How long a channel stays subscribed after its last tab let go, unless `channelLingerMs` says, in ms. */
export const defaultChannelLingerMs = 1000;

/** The longest channel name, in characters. */
export const maxChannelNameLength = 200;

/** What a tab subscribes to: a name, and what the protocol needs beside it (a query and variables, a room). */
export interface ChannelSpec {
  /** The channel's name: a topic, a room, a GraphQL operation name or `'graphql'`. 1–200 characters. */
  name: string;
  /** JSON data the dialect frames with the name (variables, a document); part of the channel's identity. */
  params?: unknown;
}

/**
 * Where a channel stands in its stream, to resume from after a gap: the server's time of the
 * last message (ISO), and/or the protocol's own offset (Socket.IO's recovery offset, a
 * Centrifugo offset with its epoch). Opaque to the engine beyond being stored and given back.
 */
export interface ChannelPosition {
  timestamp?: string;
  offset?: string;
  epoch?: string;
}

/** What a channel's tabs are told of it. */
export type ChannelState = 'subscribing' | 'subscribed' | 'error' | 'complete' | 'closed';

/** A channel a re-attaching tab still holds, with the position of the last message it saw. */
export interface HeldChannel extends ChannelSpec {
  from?: ChannelPosition;
}

/** JSON text with object keys sorted; throws on what JSON cannot hold. */
function stableJson(value: unknown): string {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return JSON.stringify(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new TypeError('a number that is not finite');
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  const proto = typeof value === 'object' ? (Object.getPrototypeOf(value) as unknown) : undefined;
  if (proto === Object.prototype || proto === null) {
    const record = value as Record<string, unknown>;
    const keys = Object.keys(record).filter((key) => record[key] !== undefined).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`).join(',')}}`;
  }
  const what = typeof value === 'object' ? `an instance of ${String((value as object).constructor?.name || 'a class')}` : `a ${typeof value}`;
  throw new TypeError(`${what} (not JSON)`);
}

/**
 * The canonical key of a channel: `name` (1–200 characters) and `params` (JSON of at most
 * `maxBytes` characters), as one string. Throws INVALID_ARGUMENT (plain data) otherwise.
 */
export function channelKey(spec: ChannelSpec, maxBytes: number): string {
  const { name, params } = spec ?? ({} as ChannelSpec);
  if (typeof name !== 'string' || name.length === 0 || name.length > maxChannelNameLength) {
    throw errorData('INVALID_ARGUMENT', `a channel's name must be a string of 1 to ${maxChannelNameLength} characters`);
  }
  if (params === undefined) return JSON.stringify([name]);
  let text: string;
  try {
    text = stableJson(params);
  } catch (error) {
    throw errorData('INVALID_ARGUMENT', `channel ${JSON.stringify(name)} has params that are not JSON: ${(error as Error).message}`);
  }
  if (text.length > maxBytes) throw errorData('INVALID_ARGUMENT', `channel ${JSON.stringify(name)} has params of ${text.length} bytes as JSON, over ${maxBytes}`);
  return `[${JSON.stringify(name)},${text}]`;
}
