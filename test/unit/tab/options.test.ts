import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/tab/options.ts';

const base = { url: 'wss://api.example.app/realtime', getToken: () => 't' };

describe('options', () => {
  it('fills in documented defaults', () => {
    expect(resolveConfig(base)).toEqual({
      url: 'wss://api.example.app/realtime',
      resyncSettleMs: 1000,
      replayOverlapMs: 1000,
      replayLimit: 100,
      replayTimeoutMs: 5000,
      logMaxEvents: 500,
      logMaxAgeMs: 86_400_000,
      logEnabled: true,
      keepAliveMs: 480_000,
      minDelayMs: 1000,
      maxDelayMs: 30_000,
      maxAttempts: Number.POSITIVE_INFINITY,
      handshakeTimeoutMs: 10_000,
      healthyAfterMs: 5000,
      tokenTimeoutMs: 10_000,
      maxBufferedMessages: 100,
      maxFrameBytes: 1_048_576,
      lingerMs: 5000,
      invalidPayloads: 'drop',
      normalizeKeys: false,
    });
  });

  it.each([
    [{ url: 'http://x/realtime' }, 'url must use ws: or wss:, got http:'],
    [{ url: 'not a url' }, 'url must be an absolute ws:// or wss:// URL'],
    [{ url: 'wss://x/realtime?access_token=abc' }, 'url must not carry credentials or a tenant in its query (parameter "access_token")'],
    [{ url: 'wss://x/realtime?tenant=t1' }, 'url must not carry credentials or a tenant in its query (parameter "tenant")'],
    [{ getToken: 'abc' }, 'getToken must be a function returning the access token'],
    [{ keepAliveMs: -1 }, 'keepAliveMs must be a number from 1000 to 599999 (ms), got -1'],
    [{ keepAliveMs: 600_000 }, 'keepAliveMs must be a number from 1000 to 599999 (ms), got 600000'],
    [{ reconnect: { minDelayMs: Number.NaN } }, 'reconnect.minDelayMs must be a number from 1 to 2147483647 (ms), got NaN'],
    [{ reconnect: { maxAttempts: 0 } }, 'reconnect.maxAttempts must be a number from 1 to Infinity, got 0'],
    [{ reconnect: { maxAttempts: '3' } }, 'reconnect.maxAttempts must be a number from 1 to Infinity, got 3'],
    [{ reconnect: { minDelayMs: 500, maxDelayMs: 100 } }, 'reconnect.maxDelayMs must be ≥ reconnect.minDelayMs (500), got 100'],
    [{ reconnect: { delayMs: (): number => 1, delaysMs: [1] } }, 'give reconnect.delayMs or reconnect.delaysMs, not both'],
    [{ reconnect: { delaysMs: [100, -5] } }, 'reconnect.delaysMs must be an array of numbers from 0 to 2147483647 (ms)'],
    [{ reconnect: { delayMs: (): number => -1 } }, 'reconnect.delayMs(1) must return a number of ms from 0 to 2147483647, got -1'],
    [{ lingerMs: Number.POSITIVE_INFINITY }, 'lingerMs must be a number from 0 to 2147483647 (ms), got Infinity'],
    [{ handshakeTimeoutMs: 2 ** 31 }, 'handshakeTimeoutMs must be a number from 100 to 2147483647 (ms), got 2147483648'],
    [{ tokenTimeoutMs: 2 ** 40 }, 'tokenTimeoutMs must be a number from 100 to 2147483647 (ms)'],
    [{ healthyAfterMs: 2 ** 31 }, 'healthyAfterMs must be a number from 0 to 2147483647 (ms)'],
    [{ reconnect: { maxDelayMs: 2 ** 31 } }, 'reconnect.maxDelayMs must be a number from 1 to 2147483647 (ms)'],
    [{ resync: { settleMs: 2 ** 31 } }, 'resync.settleMs must be a number from 0 to 2147483647 (ms)'],
    [{ resync: { overlapMs: 2 ** 31 } }, 'resync.overlapMs must be a number from 0 to 2147483647 (ms)'],
    [{ callTimeoutMs: 2 ** 31 }, 'callTimeoutMs must be a number from 1 to 2147483647 (ms), got 2147483648'],
    [{ callTimeoutMs: 0 }, 'callTimeoutMs must be a number from 1 to 2147483647 (ms), got 0'],
    [{ reconnect: { delaysMs: [100, 2 ** 31] } }, 'reconnect.delaysMs must be an array of numbers from 0 to 2147483647 (ms)'],
    [{ reconnect: { delaysMs: 'fast' } }, 'reconnect.delaysMs must be an array of numbers from 0 to 2147483647 (ms)'],
    [{ reconnect: { delayMs: () => 2 ** 31 } }, 'reconnect.delayMs(1) must return a number of ms from 0 to 2147483647, got 2147483648'],
    [{ sessionKey: '' }, 'sessionKey must be a non-empty string'],
    [{ sessionKey: 42 }, 'sessionKey must be a non-empty string'],
    [{ reconnect: { delayMs: 250 } }, 'reconnect.delayMs must be a function (attempt) => ms'],
        [{ reconnect: { delayMs: (attempt: number) => (attempt < 3 ? 100 : Number.NaN) } }, 'reconnect.delayMs(3) must return a number of ms from 0 to 2147483647, got NaN'],
  ])('refuses %o with a clear INVALID_ARGUMENT', (override, message) => {
    expect(() => resolveConfig({ ...base, ...(override as object) } as never)).toThrowError(message);
    try {
      resolveConfig({ ...base, ...(override as object) } as never);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', name: 'TabwireError' });
    }
  });

  it('samples a reconnect.delayMs strategy in the tab, by 1-based attempt, into delays the worker can take', () => {
    const config = resolveConfig({ ...base, reconnect: { delayMs: (attempt) => Math.min(attempt * 100, 1000) } });
    expect(config.retryDelaysMs).toHaveLength(32);
    expect(config.retryDelaysMs?.slice(0, 11)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000]);
    expect(() => structuredClone(config)).not.toThrow();
  });

  it('reads the reconnect group into the config the worker takes', () => {
    const config = resolveConfig({ ...base, reconnect: { minDelayMs: 200, maxDelayMs: 800, delaysMs: [50, 100], maxAttempts: 5 } });
    expect(config).toMatchObject({ minDelayMs: 200, maxDelayMs: 800, retryDelaysMs: [50, 100], maxAttempts: 5 });
    expect(structuredClone(config).maxAttempts).toBe(5);
    expect(resolveConfig({ ...base, reconnect: { maxAttempts: Number.POSITIVE_INFINITY } }).maxAttempts).toBe(Number.POSITIVE_INFINITY);
  });

  it('accepts a query whose names only look like credentials', () => {
    expect(resolveConfig({ ...base, url: 'wss://x/realtime?author=ada&v=2' }).url).toBe('wss://x/realtime?author=ada&v=2');
    expect(() => resolveConfig({ ...base, url: 'wss://x/realtime?v=2&Authorization=Bearer+x' })).toThrowError('url must not carry credentials');
    for (const name of ['author', 'authors', 'authorId', 'v', 'cursor', 'monkey', 'keyword', 'signal', 'design']) {
      expect(() => resolveConfig({ ...base, url: `wss://x/realtime?${name}=1` }), name).not.toThrow();
    }
  });

  it.each([
    'token', 'Token', 'access_token', 'ACCESS-TOKEN', 'id_token', 'jwt', 'key', 'apikey', 'api_key', 'x-api-key', 'auth', 'authorization',
    'password', 'passwd', 'secret', 'client_secret', 'session', 'sessionId', 'sig', 'signature', 'tenant', 'tenantId', 'tenant_id', 'bearer',
  ])('refuses the credential-like query parameter %s, without echoing its value', (name) => {
    const url = `wss://x/realtime?v=2&${name}=s3cr3t-value`;
    expect(() => resolveConfig({ ...base, url })).toThrowError('url must not carry credentials or a tenant in its query');
    expect(() => resolveConfig({ ...base, url })).not.toThrowError('s3cr3t-value');
  });

  it('refuses user:password@ in the url, without echoing either', () => {
    for (const url of ['wss://ada:s3cr3t-value@x/realtime', 'wss://s3cr3t-value@x/realtime']) {
      expect(() => resolveConfig({ ...base, url })).toThrowError('url must not carry credentials (user:password@)');
      expect(() => resolveConfig({ ...base, url })).not.toThrowError('s3cr3t-value');
    }
  });

  it('never echoes an unparseable url, which may hold a credential', () => {
    expect(() => resolveConfig({ ...base, url: 'wss://ada:s3cr3t value@/' })).not.toThrowError('s3cr3t');
  });

  it('accepts the largest delays setTimeout can take, and a keep-alive just under the gateway idle limit', () => {
    const max = 2 ** 31 - 1;
    const config = resolveConfig({ ...base, lingerMs: max, reconnect: { maxDelayMs: max, delaysMs: [0, max] }, keepAliveMs: 599_999, callTimeoutMs: max });
    expect(config).toMatchObject({ lingerMs: max, maxDelayMs: max, keepAliveMs: 599_999, retryDelaysMs: [0, max] });
  });

  it('keeps a long log age: it is compared with timestamps, never given to setTimeout', () => {
    expect(resolveConfig({ ...base, log: { maxAgeMs: 90 * 86_400_000 } }).logMaxAgeMs).toBe(90 * 86_400_000);
  });

  it('puts a hash of sessionKey in the config, never the key itself', () => {
    const config = resolveConfig({ ...base, sessionKey: 'tenant-123:user-456' });
    expect(config.sessionKey).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(config)).not.toContain('user-456');
    expect(resolveConfig({ ...base, sessionKey: 'tenant-123:user-456' }).sessionKey).toBe(config.sessionKey);
    expect(resolveConfig({ ...base, sessionKey: 'tenant-123:user-457' }).sessionKey).not.toBe(config.sessionKey);
    expect(resolveConfig(base)).not.toHaveProperty('sessionKey');
  });

  it('never lets a token into the config that travels to the worker', () => {
    const config = resolveConfig({ ...base, getToken: () => 'secret-token-123' });
    expect(JSON.stringify(config)).not.toContain('secret-token-123');
  });
});
