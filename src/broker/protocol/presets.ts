/**
 * The dialect a broker runs with when its host gave none in code: the one the
 * config describes as data, PurposePath's by default.
 */
import type { BrokerConfig } from '../../link/messages.ts';
import { readProtocolSpec } from './protocol-spec.ts';
import { jsonProtocol } from './json-preset.ts';
import { purposepathProtocol } from './purposepath.ts';
import type { Protocol } from './wire.ts';

export function protocolFor(config: BrokerConfig): Protocol {
  const spec = readProtocolSpec(config.protocol);
  return spec ? jsonProtocol(spec) : purposepathProtocol;
}
