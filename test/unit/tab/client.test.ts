import { afterEach, describe, expect, it, vi } from 'vitest';
import { type Broker, connectBroker } from '../../../src/tab/client.ts';
import type { ConnectOptions } from '../../../src/tab/options.ts';
import { hostName } from '../../../src/link/host-name.ts';
import { hashSessionKey } from '../../../src/link/session-key.ts';
import { fakePage } from '../../support/fake-page.ts';

const never = () => new Promise<never>(() => {});
let page: ReturnType<typeof fakePage>;
let broker: Broker | undefined;

function connect(options: Partial<ConnectOptions> = {}): Broker {
  broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't', sharing: 'worker', worker: page.worker, callTimeoutMs: 1000, ...options });
  return broker;
}

/** Let messages between the ports be delivered (they are not timers). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

afterEach(() => {
  broker?.close();
  broker = undefined;
  page.dispose();
  vi.useRealTimers();
});

describe('connectBroker: every call from a tab settles', () => {
  it("bounds recent() by callTimeoutMs plus the broker's own 10 s wait for a session", async () => {
    page = fakePage({ recent: never });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const tab = connect();
    await tab.ready;
    const outcome = tab.recent().then(() => 'resolved', (error: { code: string }) => error.code);
    await settle();
    await vi.advanceTimersByTimeAsync(10_999);
    expect(await Promise.race([outcome, Promise.resolve('pending')])).toBe('pending');
    await vi.advanceTimersByTimeAsync(2);
    expect(await outcome).toBe('TIMEOUT');
  });

  it('rejects a send() waiting in the buffer with CLOSED when this tab closes', async () => {
    page = fakePage({ send: never });
    const tab = connect();
    await tab.ready;
    const sent = tab.send({ action: 'x' });
    await settle();
    tab.close();
    await expect(sent).rejects.toMatchObject({ code: 'CLOSED' });
  });

  it('rejects a send() with WORKER_LOST when the broker dies (a send is never repeated)', async () => {
    page = fakePage({ send: never });
    const tab = connect();
    await tab.ready;
    const sent = tab.send({ action: 'x' });
    await settle();
    page.brokers[0]!.die();
    await expect(sent).rejects.toMatchObject({ code: 'WORKER_LOST' });
  });
});

describe('connectBroker: token answers', () => {
  it('answers "cannot" (n: 1) when this tab has no refreshToken: another tab may', async () => {
    page = fakePage();
    await connect().ready;
    const answer = await page.brokers[0]!.ask('refreshToken');
    expect(answer).toMatchObject({ k: 'ans', ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE' } });
  });

  it.each([null, undefined, ''])('answers "cannot" (n: 1) when getToken gives no token (%o)', async (none) => {
    page = fakePage();
    await connect({ getToken: () => none }).ready;
    expect(await page.brokers[0]!.ask('getToken')).toMatchObject({ ok: false, n: 1 });
  });

  it('answers a refusal (no n) when getToken or refreshToken throws, naming only the error class', async () => {
    page = fakePage();
    const secret = 'Bearer s3cr3t';
    const fail = () => Promise.reject(new RangeError(secret));
    await connect({ getToken: fail, refreshToken: fail }).ready;
    for (const fn of ['getToken', 'refreshToken'] as const) {
      const answer = await page.brokers[0]!.ask(fn);
      expect(answer).toMatchObject({ ok: false, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} failed (RangeError)` } });
      expect(answer).not.toHaveProperty('n');
      expect(JSON.stringify(answer)).not.toContain('s3cr3t');
    }
  });

  it('answers with the token when there is one', async () => {
    page = fakePage();
    await connect({ getToken: async () => 'tok', refreshToken: () => undefined }).ready;
    expect(await page.brokers[0]!.ask('getToken')).toEqual({ k: 'ans', id: 1, ok: true, token: 'tok' });
    expect(await page.brokers[0]!.ask('refreshToken')).toEqual({ k: 'ans', id: 2, ok: true });
  });
});

describe('connectBroker: logout across tabs', () => {
  it('tells the other tabs even when the local logout fails', async () => {
    page = fakePage({ logout: () => Promise.reject(new Error('broker broke')) });
    const heard: unknown[] = [];
    const channel = new BroadcastChannel('tabwire-logout');
    channel.onmessage = (event) => heard.push(event.data);
    try {
      await connect({ sessionKey: 'tenant-1:ada' }).ready;
      await expect(broker!.logout()).rejects.toThrow('broker broke');
      await vi.waitFor(() => expect(heard).toEqual([{ url: 'wss://x/realtime', sessionKey: hashSessionKey('tenant-1:ada'), brokerId: 'broker-0' }]));
    } finally {
      channel.close();
    }
  });

  it("logs out only on a notice of the same endpoint and sessionKey", async () => {
    const logouts: string[] = [];
    page = fakePage({ logout: () => void logouts.push('logout') });
    await connect({ sessionKey: 'tenant-1:ada' }).ready;
    const channel = new BroadcastChannel('tabwire-logout');
    try {
      channel.postMessage({ url: 'wss://x/realtime', sessionKey: hashSessionKey('tenant-1:bob'), brokerId: 'other' });
      channel.postMessage({ url: 'wss://x/realtime', brokerId: 'other' });
      channel.postMessage({ url: 'wss://y/realtime', sessionKey: hashSessionKey('tenant-1:ada'), brokerId: 'other' });
      await new Promise((resolve) => setTimeout(resolve, 50));
      expect(logouts).toEqual([]);
      channel.postMessage({ url: 'wss://x/realtime', sessionKey: hashSessionKey('tenant-1:ada'), brokerId: 'other' });
      await vi.waitFor(() => expect(logouts).toEqual(['logout']));
    } finally {
      channel.close();
    }
  });
});

describe('connectBroker: sessionKey', () => {
  it('starts the worker under a name with the hashed key, and sends the hash in the config', async () => {
    page = fakePage();
    const names: string[] = [];
    await connect({ sessionKey: 'tenant-1:ada', callTimeoutMs: 5000, worker: (name) => (names.push(name), page.worker()) }).ready;
    const hash = hashSessionKey('tenant-1:ada');
    expect(page.brokers[0]!.attaches[0]!.config.sessionKey).toBe(hash);
    // Keyed by the app's connection, the hashed key in it (appIdentity): the key itself never shows.
    expect(names).toEqual([hostName(page.brokers[0]!.attaches[0]!.buildId, page.brokers[0]!.attaches[0]!.config)]);
    expect(names[0]).not.toContain('ada');
    expect(JSON.stringify(page.brokers[0]!.attaches[0])).not.toContain('ada');
  });

  it("ignores a newer build's worker of another account", async () => {
    page = fakePage();
    const tab = connect({ sessionKey: 'tenant-1:ada', upgrade: 'manual' });
    await tab.ready;
    const notices: unknown[] = [];
    tab.onUpgrade((notice) => notices.push(notice));
    // What the broker's build radio relays: it hears every worker of the endpoint.
    const config = page.brokers[0]!.attaches[0]!.config;
    const other = { buildId: 'b2', mode: 'worker' as const, script: 'w.js', compatible: true, name: hostName('b2', { ...config, sessionKey: hashSessionKey('tenant-1:bob') }) };
    const own = { ...other, buildId: 'b3', name: hostName('b3', config) };
    page.brokers[0]!.notify({ k: 'up', n: other });
    page.brokers[0]!.notify({ k: 'up', n: own });
    await vi.waitFor(() => expect(notices).toEqual([own]));
  });
});

describe('connectBroker on plain http (no randomUUID, no Web Locks)', () => {
  it("falls back from 'auto' to a broker of its own, with an id from getRandomValues", () => {
    page = fakePage({}, { locks: false });
    const real = globalThis.crypto;
    const getRandomValues = vi.fn((array: Uint8Array) => real.getRandomValues(array));
    vi.stubGlobal('crypto', { getRandomValues });
    const tab = connect({ sharing: 'auto' });
    expect(tab.sharing).toBe('none');
    expect(getRandomValues).toHaveBeenCalled();
  });

  it('says once why, on the console and through onError, and never throws', async () => {
    page = fakePage({}, { locks: false });
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const tab = connect({ sharing: 'auto' });
    const codes: string[] = [];
    tab.onError((error) => codes.push(error.code));
    await new Promise((resolve) => setTimeout(resolve, 10));
    expect(codes).toEqual(['WORKER_UNAVAILABLE']);
    tab.close();
    connect({ sharing: 'auto' });
    // Once per page: an earlier test of this file may have printed it already.
    expect(warn.mock.calls.filter(([text]) => String(text).includes('secure context')).length).toBeLessThanOrEqual(1);
    warn.mockRestore();
  });

  it("refuses sharing: 'worker' there: the worker needs Web Locks", () => {
    page = fakePage({}, { locks: false });
    expect(() => connect({ sharing: 'worker' })).toThrowError("sharing 'worker' is not available in this browser");
  });
});

describe('connectBroker: after logout', () => {
  it('runs no handler once this tab saw closed (logout), even for events still in flight', async () => {
    page = fakePage();
    const tab = connect();
    await tab.ready;
    const seen: string[] = [];
    tab.on('*', (event) => seen.push(event.type));
    const events = (type: string) => ({ k: 'ev' as const, d: JSON.stringify([{ type, timestamp: new Date().toISOString(), data: {} }]) });
    page.brokers[0]!.notify(events('goal.created'));
    page.brokers[0]!.notify({ k: 'st', s: 'closed', p: 'open', r: 'logout' });
    page.brokers[0]!.notify(events('goal.completed'));
    await settle();
    expect(tab.state).toBe('closed');
    expect(seen).toEqual(['goal.created']);
  });
});

describe('connectBroker: send() waiting in the buffer', () => {
  // Not bounded by callTimeoutMs: it settles when written, refused, the broker dies or this tab
  // closes. A TIMEOUT while the message may still go out would invite the app to send it twice.
  it('is not failed with TIMEOUT after callTimeoutMs: it waits for the broker', async () => {
    let written!: (ok: boolean) => void;
    page = fakePage({ send: () => new Promise<boolean>((resolve) => (written = resolve)) });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const tab = connect();
    await tab.ready;
    const sent = tab.send({ action: 'x' }).then(
      (value) => value,
      (error: { code: string }) => error.code,
    );
    await settle();
    await vi.advanceTimersByTimeAsync(60_000);
    written(true);
    await settle();
    expect(await sent).toBe(true);
  });
});

describe('connectBroker: upgrade() with nothing to do', () => {
  // A move that returned early (already on that build, not compatible, closed) once left its
  // "move under way" promise set, and every later move answered that stale `false`.
  it('does not stop the next deploy from being moved to', async () => {
    page = fakePage();
    const tab = connect({ buildId: 'a' });
    await tab.ready;
    page.brokers[0]!.notify({ k: 'up', n: { buildId: 'b', mode: 'worker', compatible: true } });
    await settle();
    expect(page.brokers).toHaveLength(2);
    expect(await tab.upgrade()).toBe(false);
    page.brokers[1]!.notify({ k: 'up', n: { buildId: 'c', mode: 'worker', compatible: true } });
    await settle();
    expect(page.brokers.map((scripted) => scripted.attaches[0]?.buildId)).toEqual(['a', 'b', 'c']);
  });
});
