/**
 * `pageProtocol`: the dialect in code a broker this page runs starts with. Code, not data: it
 * never travels in the broker config, and it is loaded once a page needs it, once while it loads.
 */
import { describe, expect, it } from 'vitest';
import type { BackendProtocol } from '../../../src/broker/protocol/wire.ts';
import { TabwireError } from '../../../src/link/errors.ts';
import { resolveConfig } from '../../../src/tab/options.ts';
import { loadPageProtocol } from '../../../src/tab/hosts/page-protocol.ts';
import { fakeChannelDialect } from '../../support/fake-channel-dialect.ts';

const base = { url: 'wss://api.test/realtime', getToken: () => 'token' };

describe('pageProtocol option', () => {
  it('is not in the config a tab sends to a broker, which stays plain data', () => {
    const config = resolveConfig({ ...base, pageProtocol: () => fakeChannelDialect() });
    expect(Object.keys(config)).not.toContain('pageProtocol');
    expect(() => structuredClone(config)).not.toThrow();
    expect(config).toEqual(resolveConfig(base));
  });

  it('anything but a function is refused with INVALID_ARGUMENT naming the option', () => {
    const options = { ...base, pageProtocol: fakeChannelDialect() } as unknown as Parameters<typeof resolveConfig>[0];
    expect(() => resolveConfig(options)).toThrowError(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: expect.stringContaining('pageProtocol') }));
  });
});

describe('loadPageProtocol', () => {
  it('without a loader, a page broker has no dialect in code (the protocol option describes it)', async () => {
    await expect(loadPageProtocol(undefined)).resolves.toBeUndefined();
  });

  it('calls the loader once, however many brokers the page starts', async () => {
    const dialect = fakeChannelDialect();
    let calls = 0;
    const loader = async () => {
      calls++;
      return dialect;
    };
    const [first, second] = await Promise.all([loadPageProtocol(loader), loadPageProtocol(loader)]);
    const later = await loadPageProtocol(loader);
    expect([first, second, later, calls]).toEqual([dialect, dialect, dialect, 1]);
  });

  it('a loader that throws or rejects: WORKER_UNAVAILABLE naming pageProtocol, its error as the cause; the next broker calls it again', async () => {
    const chunk = new Error('Failed to fetch dynamically imported module');
    const outcomes: Array<() => BackendProtocol | Promise<BackendProtocol>> = [
      () => {
        throw chunk;
      },
      () => Promise.reject(chunk),
      () => fakeChannelDialect(),
    ];
    let calls = 0;
    const loader = () => outcomes[calls++]!();
    const load = () => loadPageProtocol(loader);
    for (let attempt = 0; attempt < 2; attempt++) {
      const error = await load().then(() => undefined, (thrown: unknown) => thrown);
      expect(error).toBeInstanceOf(TabwireError);
      expect(error).toMatchObject({ code: 'WORKER_UNAVAILABLE', message: expect.stringMatching(/pageProtocol.*Failed to fetch dynamically imported module/), cause: chunk });
    }
    await expect(load()).resolves.toMatchObject({ connect: expect.any(Function) });
    expect(calls).toBe(3);
  });

  it('a loader that gives no protocol object fails the same way: no broker starts with the wrong dialect', async () => {
    const loader = (() => Promise.resolve(undefined)) as unknown as () => Promise<BackendProtocol>;
    await expect(loadPageProtocol(loader)).rejects.toMatchObject({ code: 'WORKER_UNAVAILABLE', message: expect.stringContaining('pageProtocol') });
  });
});
