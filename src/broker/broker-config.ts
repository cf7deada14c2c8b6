/**
 * The config a broker runs with, from whatever a tab sent: the options every tab checks
 * (`sanitizeBrokerConfig`), and the backend's dialect and payload schemas, checked only
 * here: their check and defaults would weigh on every app's page, and a tab of a
 * PurposePath app never needs them.
 */
import { sanitizeBrokerConfig } from '../link/config.ts';
import type { BrokerConfig } from '../link/messages.ts';
import { readProtocolSpec, readSchemas } from './protocol/protocol-spec.ts';
import { readTransportSpec } from '../link/transport-spec.ts';

/**
 * Throws `TabwireError` INVALID_ARGUMENT naming the option when the dialect or a schema is
 * broken, as for a missing URL: guessing another backend's dialect would only misread its frames.
 */
export function brokerConfigFrom(received: unknown): BrokerConfig {
  const config = sanitizeBrokerConfig(received);
  const input = received as Record<string, unknown>;
  const protocol = readProtocolSpec(input.protocol);
  const schemas = readSchemas(input.schemas);
  const transport = readTransportSpec(input.transport);
  return { ...config, ...(protocol ? { protocol } : {}), ...(schemas ? { schemas } : {}), ...(transport ? { transport } : {}) };
}
