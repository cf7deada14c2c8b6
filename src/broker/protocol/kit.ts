/**
 * What an app's own worker entry needs to write a dialect in code: the `Protocol`
 * interface, the two built-in dialects to start from, and the envelope check.
 */
import type { JsonProtocolOptions } from '../../link/protocol-option.ts';
import { readProtocolSpec } from './protocol-spec.ts';
import { jsonProtocol as fromSpec } from './json-preset.ts';
import type { Protocol } from './wire.ts';

export { purposepathProtocol } from './purposepath.ts';
export { validateEnvelope } from './envelope.ts';
export type { ParsedFrame } from './envelope.ts';
export type { Envelope } from '../../link/envelope.ts';
export type { Session } from '../../link/stats.ts';
export type { Protocol, ServerFrame } from './wire.ts';

/** The JSON preset as an object, to start from and override (`{ ...jsonProtocol(options), classify }`). */
export function jsonProtocol(options: JsonProtocolOptions): Protocol {
  return fromSpec(readProtocolSpec(options)!);
}
export type { BackendProtocol } from './wire.ts';
export type { ChannelPosition, ChannelSpec } from '../../link/channels.ts';
export type {
  ChannelProtocol,
  DialectConnection,
  DialectContext,
  DialectMessage,
  RawFrame,
} from './channel-dialect.ts';
