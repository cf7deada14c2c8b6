import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/options.ts';

const base = { url: 'wss://api.example.app/realtime', getToken: () => 't' };

describe('options', () => {
  it('fills in documented defaults', () => {
    expect(resolveConfig(base)).toEqual({
      url: 'wss://api.example.app/realtime',
      resyncSettleMs: 1000,
      replayOverlapMs: 1000,
      replayLimit: 100,
      logMaxEvents: 500,
      logMaxAgeMs: 86_400_000,
      logEnabled: true,
      keepAliveMs: 480_000,
      minDelayMs: 1000,
      maxDelayMs: 30_000,
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
    [{ url: 'not a url' }, 'url must be an absolute ws:// or wss:// URL, got "not a url"'],
    [{ url: 'wss://x/realtime?access_token=abc' }, 'url must not carry credentials or tenant in its query (PROTOCOL.md)'],
    [{ url: 'wss://x/realtime?tenant=t1' }, 'url must not carry credentials or tenant in its query (PROTOCOL.md)'],
    [{ getToken: 'abc' }, 'getToken must be a function returning the access token'],
    [{ keepAliveMs: -1 }, 'keepAliveMs must be a number ≥ 1000 (ms or count), got -1'],
    [{ minDelayMs: Number.NaN }, 'minDelayMs must be a number ≥ 1 (ms or count), got NaN'],
    [{ retryDelaysMs: [100, -5] }, 'retryDelaysMs must be an array of non-negative numbers (ms)'],
    [{ retryDelayMs: 250 }, 'retryDelayMs must be a function (attempt) => ms'],
    [{ retryDelayMs: () => 1, retryDelaysMs: [1] }, 'give retryDelayMs or retryDelaysMs, not both'],
    [{ retryDelayMs: (attempt: number) => (attempt < 3 ? 100 : Number.NaN) }, 'retryDelayMs(3) must return a non-negative number of ms, got NaN'],
  ])('refuses %o with a clear INVALID_ARGUMENT', (override, message) => {
    expect(() => resolveConfig({ ...base, ...(override as object) } as never)).toThrowError(message);
    try {
      resolveConfig({ ...base, ...(override as object) } as never);
    } catch (error) {
      expect(error).toMatchObject({ code: 'INVALID_ARGUMENT', name: 'TabwireError' });
    }
  });

  it('samples a retryDelayMs strategy in the tab, by 1-based attempt, into delays the worker can take', () => {
    const config = resolveConfig({ ...base, retryDelayMs: (attempt) => Math.min(attempt * 100, 1000) });
    expect(config.retryDelaysMs).toHaveLength(32);
    expect(config.retryDelaysMs?.slice(0, 11)).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900, 1000, 1000]);
    expect(() => structuredClone(config)).not.toThrow();
  });

  it('accepts a query whose names only look like credentials', () => {
    expect(resolveConfig({ ...base, url: 'wss://x/realtime?author=ada&v=2' }).url).toBe('wss://x/realtime?author=ada&v=2');
    expect(() => resolveConfig({ ...base, url: 'wss://x/realtime?v=2&Authorization=Bearer+x' })).toThrowError('url must not carry credentials');
  });

  it('never lets a token into the config that travels to the worker', () => {
    const config = resolveConfig({ ...base, getToken: () => 'secret-token-123' });
    expect(JSON.stringify(config)).not.toContain('secret-token-123');
  });
});
