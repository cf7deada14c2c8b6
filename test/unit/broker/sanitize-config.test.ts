import { describe, expect, it } from 'vitest';
import { sanitizeBrokerConfig } from '../../../src/broker/broker-config.ts';
import { resolveConfig } from '../../../src/tab/options.ts';

const url = 'wss://api.example.app/realtime';
const defaults = resolveConfig({ url, getToken: () => 't' });

describe('sanitizeBrokerConfig: the worker checks what came over the port', () => {
  it('returns a config resolveConfig made unchanged', () => {
    const config = resolveConfig({ url, getToken: () => 't', sessionKey: 'a:b', tenantId: 't1', reconnect: { delaysMs: [5, 10], maxAttempts: 7 }, lingerMs: 0 });
    expect(sanitizeBrokerConfig(structuredClone(config))).toEqual(config);
  });

  it('fills in every missing field with its default', () => {
    expect(sanitizeBrokerConfig({ url })).toEqual(defaults);
  });

  it('replaces wrong types with defaults', () => {
    const config = sanitizeBrokerConfig({
      url,
      tenantId: 5,
      eventsSinceUrl: {},
      sessionKey: ['x'],
      lingerMs: '5',
      keepAliveMs: null,
      logEnabled: 'yes',
      invalidPayloads: 'explode',
      normalizeKeys: 1,
      retryDelaysMs: 'fast',
    });
    expect(config).toEqual(defaults);
  });

  it('clamps numbers out of range, and replaces those that are not finite', () => {
    const config = sanitizeBrokerConfig({
      url,
      lingerMs: -5,
      keepAliveMs: 3_600_000,
      handshakeTimeoutMs: 1,
      tokenTimeoutMs: 2 ** 40,
      maxDelayMs: Number.POSITIVE_INFINITY,
      minDelayMs: Number.NaN,
      maxBufferedMessages: 1e300,
    });
    expect(config).toMatchObject({
      lingerMs: 0,
      keepAliveMs: 599_999,
      handshakeTimeoutMs: 100,
      tokenTimeoutMs: 2 ** 31 - 1,
      maxDelayMs: defaults.maxDelayMs,
      minDelayMs: defaults.minDelayMs,
      maxBufferedMessages: 2 ** 31 - 1,
    });
  });

  it('bounds maxAttempts below by one try, and takes anything but a finite number for unlimited', () => {
    expect(sanitizeBrokerConfig({ url, maxAttempts: 0 }).maxAttempts).toBe(1);
    expect(sanitizeBrokerConfig({ url, maxAttempts: 4 }).maxAttempts).toBe(4);
    for (const odd of ['3', null, Number.NaN, Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY]) {
      expect(sanitizeBrokerConfig({ url, maxAttempts: odd }).maxAttempts).toBe(Number.POSITIVE_INFINITY);
    }
  });

  it('keeps maxDelayMs at least minDelayMs', () => {
    expect(sanitizeBrokerConfig({ url, minDelayMs: 5000, maxDelayMs: 10 })).toMatchObject({ minDelayMs: 5000, maxDelayMs: 5000 });
  });

  it('keeps only the valid delays of retryDelaysMs, clamped, and at most 256 of them', () => {
    expect(sanitizeBrokerConfig({ url, retryDelaysMs: [10, -1, 2 ** 40, 'x', Number.NaN] }).retryDelaysMs).toEqual([10, 0, 2 ** 31 - 1]);
    expect(sanitizeBrokerConfig({ url, retryDelaysMs: Array(1000).fill(1) }).retryDelaysMs).toHaveLength(256);
    expect(sanitizeBrokerConfig({ url, retryDelaysMs: [] })).not.toHaveProperty('retryDelaysMs');
  });

  it('drops fields it does not know (nothing unexpected reaches the broker)', () => {
    const config = sanitizeBrokerConfig({ url, token: 'secret', getToken: 'x' }) as unknown as Record<string, unknown>;
    expect(config).not.toHaveProperty('token');
    expect(config).not.toHaveProperty('getToken');
  });

  it('keeps a sessionKey only in the shape of the hash', () => {
    const hashed = resolveConfig({ url, getToken: () => 't', sessionKey: 'a:b' }).sessionKey;
    expect(sanitizeBrokerConfig({ url, sessionKey: hashed }).sessionKey).toBe(hashed);
    expect(sanitizeBrokerConfig({ url, sessionKey: 'tenant-123:user-456' })).not.toHaveProperty('sessionKey');
  });

  it.each([
    [undefined, 'config must be an object'],
    [null, 'config must be an object'],
    ['wss://x', 'config must be an object'],
    [{}, 'config.url must be an absolute ws:// or wss:// URL'],
    [{ url: 42 }, 'config.url must be an absolute ws:// or wss:// URL'],
    [{ url: 'https://x/realtime' }, 'config.url must use ws: or wss:'],
    [{ url: 'wss://ada:s3cr3t@x/realtime' }, 'config.url must not carry credentials (user:password@)'],
    [{ url: 'wss://x/realtime?token=s3cr3t' }, 'config.url must not carry credentials or a tenant in its query'],
  ])('refuses %o: no endpoint to connect to', (value, message) => {
    expect(() => sanitizeBrokerConfig(value)).toThrowError(message);
    expect(() => sanitizeBrokerConfig(value)).not.toThrowError('s3cr3t');
    try {
      sanitizeBrokerConfig(value);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', name: 'TabwireError' });
    }
  });
});
