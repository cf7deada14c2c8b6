/**
 * The defaults and bounds of the broker's options, shared by the tab's check of what the app
 * passed (`resolveConfig`) and the broker's check of what arrived over a port
 * (`sanitizeBrokerConfig`, broker/broker-config.ts).
 */
import { TabwireError } from './errors.ts';
import type { BrokerConfig } from './messages.ts';

/**
 * setTimeout's largest delay, in ms: a longer one fires at once. Also the
 * bound of counts, which have no natural limit of their own.
 */
export const maxTimerMs = 2 ** 31 - 1;
/** The gateway closes a socket idle for 10 min: the keep-alive must come before. */
const maxKeepAliveMs = 10 * 60_000 - 1;

export function invalid(message: string): TabwireError {
  return new TabwireError({ code: 'INVALID_ARGUMENT', message });
}

type NumericKey = {
  [K in keyof BrokerConfig]-?: BrokerConfig[K] extends number ? K : never;
}[keyof BrokerConfig];

/**
 * Each numeric option: where the app sets it, its default, its range (at most setTimeout's unless
 * said). The one home of the defaults: the tab fills options in from it, the worker bounds what
 * a port carried with it, and the engine's own fallbacks (`optionDefaults`) read it.
 */
export const numericOptions: Array<[key: NumericKey, path: string, fallback: number, min: number, max?: number]> = [
  ['resyncSettleMs', 'resync.settleMs', 1000, 0],
  ['replayOverlapMs', 'resync.overlapMs', 1000, 0],
  ['replayLimit', 'resync.replayLimit', 100, 1],
  ['replayTimeoutMs', 'resync.timeoutMs', 5000, 100],
  ['logMaxEvents', 'log.maxEvents', 500, 1],
  // An age compared with timestamps, never a timer: a log may keep months. 24 h.
  ['logMaxAgeMs', 'log.maxAgeMs', 24 * 60 * 60 * 1000, 1, Number.MAX_SAFE_INTEGER],
  // 8 min, under the gateway's 10 min idle limit.
  ['keepAliveMs', 'keepAliveMs', 8 * 60_000, 1000, maxKeepAliveMs],
  ['minDelayMs', 'reconnect.minDelayMs', 1000, 1],
  ['maxDelayMs', 'reconnect.maxDelayMs', 30_000, 1],
  // Unlimited by default: Infinity survives a port (structured clone), and a config without it retries forever.
  ['maxAttempts', 'reconnect.maxAttempts', Number.POSITIVE_INFINITY, 1, Number.POSITIVE_INFINITY],
  ['handshakeTimeoutMs', 'handshakeTimeoutMs', 10_000, 100],
  ['healthyAfterMs', 'healthyAfterMs', 5000, 0],
  ['tokenTimeoutMs', 'tokenTimeoutMs', 10_000, 100],
  ['maxBufferedMessages', 'maxBufferedMessages', 100, 0],
  // 1 MiB
  ['maxFrameBytes', 'maxFrameBytes', 1024 * 1024, 64],
  ['lingerMs', 'lingerMs', 5000, 0],
];

/**
 * The default of each numeric option, by name (for the pure policies' own defaults), and of the
 * tab's own, which no broker reads: `callTimeoutMs`.
 */
export const optionDefaults = {
  ...(Object.fromEntries(numericOptions.map(([key, , fallback]) => [key, fallback])) as Record<NumericKey, number>),
  callTimeoutMs: 10_000,
};

/** Whether `value` is a number in [min, max] (not NaN, not infinite). */
export const inRange = (value: unknown, min: number, max = maxTimerMs): value is number =>
  typeof value === 'number' && value >= min && value <= max;

/** Throws INVALID_ARGUMENT naming the option unless `value` is a number in [min, max]. */
export function checkRange(path: string, value: unknown, min: number, max = maxTimerMs): void {
  if (!inRange(value, min, max)) throw invalid(`${path} must be a number from ${min} to ${max}${path.endsWith('Ms') ? ' (ms)' : ''}, got ${String(value)}`);
}

/**
 * Query parameter names that carry a credential or a tenant, compared without
 * case or separators (`access_token`, `X-Api-Key`, `tenantId`). Names that only
 * contain `auth` as `author` (not `authoriz…`) name a person, not a credential.
 */
const credentialParam = (name: string): boolean =>
  /token|jwt|secret|passw|apikey|signature|credential|tenant|bearer|session|auth(?!or(?!i[sz]))|^x?(key|sig|pwd|pass|sid)$/.test(
    name.toLowerCase().replace(/[^a-z0-9]/g, ''),
  );

/**
 * Parse and check an endpoint: a WebSocket's (ws:, wss:), or with `stream` an event stream's
 * (http:, https:). Errors name the problem, never the URL: it may hold a credential.
 */
export function checkUrl(value: unknown, label: string, stream = false): URL {
  const [plain, secure] = stream ? ['http', 'https'] : ['ws', 'wss'];
  let url: URL;
  try {
    url = new URL(value as string);
  } catch {
    throw invalid(`${label} must be an absolute ${plain}:// or ${secure}:// URL`);
  }
  if (url.protocol !== `${plain}:` && url.protocol !== `${secure}:`) throw invalid(`${label} must use ${plain}: or ${secure}:, got ${url.protocol}`);
  if (url.username || url.password) throw invalid(`${label} must not carry credentials (user:password@)`);
  const param = [...url.searchParams.keys()].find(credentialParam);
  if (param !== undefined) throw invalid(`${label} must not carry credentials or a tenant in its query (parameter ${JSON.stringify(param)})`);
  return url;
}
