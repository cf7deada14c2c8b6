/**
 * The config a broker runs with, from whatever a tab sent: a port can carry anything, an
 * older tab's config or a broken one, and the broker must still run with bounded timers.
 * The options every tab checks are bounded here again with the link's table (link/config.ts);
 * the backend's dialect, payload schemas and transport are checked only here: their checks
 * and defaults would weigh on every app's page, and a tab of a PurposePath app never needs them.
 */
import { checkUrl, invalid, maxTimerMs, numericOptions } from '../link/config.ts';
import type { BrokerConfig } from '../link/messages.ts';
import { isSessionHash } from '../link/session-key.ts';
import { isSse } from '../link/transport-option.ts';
import { readProtocolSpec, readSchemas } from './protocol/protocol-spec.ts';
import { readTransportSpec } from './transports/transport-spec.ts';

/** The broker keeps at most this many fixed retry delays (a strategy is sampled 32 times). */
const maxRetryDelays = 256;

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

const finite = (value: unknown): value is number => Number.isFinite(value);
const clamp = (value: number, min: number, max: number) => Math.min(max, Math.max(min, value));

/**
 * The config a broker runs with, from whatever a tab sent: fields of the wrong
 * type or not finite take their default, numbers out of range are clamped,
 * unknown fields are dropped. Throws `TabwireError` INVALID_ARGUMENT when there
 * is no usable endpoint (`url`), since there is nothing to connect to then.
 */
export function sanitizeBrokerConfig(value: unknown): BrokerConfig {
  if (typeof value !== 'object' || value === null) throw invalid('config must be an object');
  const input = value as Record<string, unknown>;
  const url = checkUrl(input.url, 'config.url', isSse(input.transport));
  const text = (key: 'tenantId' | 'eventsSinceUrl') => (typeof input[key] === 'string' ? { [key]: input[key] } : {});
  const delays = Array.isArray(input.retryDelaysMs)
    ? input.retryDelaysMs.filter(finite).slice(0, maxRetryDelays).map((d) => clamp(d, 0, maxTimerMs))
    : [];
  const config = {
    url: url.href,
    ...text('tenantId'),
    ...text('eventsSinceUrl'),
    ...(isSessionHash(input.sessionKey) ? { sessionKey: input.sessionKey } : {}),
    ...(delays.length > 0 ? { retryDelaysMs: delays } : {}),
    logEnabled: typeof input.logEnabled === 'boolean' ? input.logEnabled : true,
    invalidPayloads: input.invalidPayloads === 'pass' ? 'pass' : 'drop',
    normalizeKeys: input.normalizeKeys === true,
  } as BrokerConfig;
  for (const [key, , fallback, min, max = maxTimerMs] of numericOptions) {
    const given = input[key];
    config[key] = finite(given) ? clamp(given, min, max) : fallback;
  }
  config.maxDelayMs = Math.max(config.maxDelayMs, config.minDelayMs);
  if (finite(input.channelLingerMs)) config.channelLingerMs = clamp(input.channelLingerMs, 0, maxTimerMs);
  return config;
}
