/** `ready` (attached to a broker) and `connected` (the connection opened), and the errors `onError` hands out. */
import { afterEach, describe, expect, it } from 'vitest';
import { type Broker, connectBroker } from '../../../src/tab/client.ts';
import { TabwireError } from '../../../src/link/errors.ts';
import type { ConnectionStatus, TransitionReason } from '../../../src/link/states.ts';
import { fakePage } from '../../support/fake-page.ts';

let page: ReturnType<typeof fakePage>;
let broker: Broker | undefined;

/** A tab whose broker answers the attach in `status` (`connecting`, `tab-attached` unless said). */
function attachedIn(status: ConnectionStatus = 'connecting', reason: TransitionReason = 'tab-attached'): Broker {
  page = fakePage({}, { attached: { status, reason } });
  broker = connectBroker({ url: 'wss://x/realtime', getToken: () => 't', sharing: 'worker', worker: page.worker, callTimeoutMs: 1000 });
  return broker;
}

/** The broker tells the tab its new state, on the stream as it does. */
const tell = (next: ConnectionStatus, prev: ConnectionStatus, reason: TransitionReason) =>
  page.brokers[0]!.notify({ k: 'st', s: next, p: prev, r: reason });

const pending = Symbol('pending');
const outcome = (promise: Promise<void>) =>
  promise.then(
    () => 'resolved',
    (error: unknown) => error,
  );
const now = async (promise: Promise<unknown>) => {
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return Promise.race([promise, Promise.resolve(pending)]);
};

afterEach(() => {
  broker?.close();
  broker = undefined;
  page.dispose();
});

describe('ready and connected', () => {
  it('ready resolves once attached, connected only once the state is open', async () => {
    const tab = attachedIn('connecting');
    await tab.ready;
    const connected = outcome(tab.connected);
    expect(await now(connected)).toBe(pending);
    tell('authenticating', 'connecting', 'socket-opened');
    tell('backoff', 'authenticating', 'handshake-timeout');
    tell('offline', 'backoff', 'went-offline');
    expect(await now(connected)).toBe(pending);
    tell('connecting', 'offline', 'back-online');
    tell('authenticating', 'connecting', 'socket-opened');
    tell('open', 'authenticating', 'auth-accepted');
    expect(await now(connected)).toBe('resolved');
  });

  it('connected resolves at once for a tab joining an open connection, and stays resolved when it drops', async () => {
    const tab = attachedIn('open', 'auth-accepted');
    await tab.ready;
    expect(await now(outcome(tab.connected))).toBe('resolved');
    tell('unauthorized', 'open', 'token-rejected');
    expect(await now(outcome(tab.connected))).toBe('resolved');
  });

  it.each([
    ['unauthorized', 'refresh-failed', 'UNAUTHORIZED'],
    ['unauthorized', 'token-unavailable', 'UNAUTHORIZED'],
    ['forbidden', 'forbidden', 'FORBIDDEN'],
    ['closed', 'retries-exhausted', 'RETRIES_EXHAUSTED'],
  ] as const)('connected rejects when the state becomes %s (%s) before ever opening', async (status, reason, code) => {
    const tab = attachedIn('connecting');
    await tab.ready;
    tell('authenticating', 'connecting', 'socket-opened');
    tell(status, 'authenticating', reason);
    const error = await now(outcome(tab.connected));
    expect(error).toBeInstanceOf(TabwireError);
    expect(error).toMatchObject({ code, message: `not connected: ${status} (${reason})` });
    // Settled once: a later open does not change it.
    tell('open', status, 'auth-accepted');
    expect(await now(outcome(tab.connected))).toBe(error);
  });

  it('connected rejects for a tab that attaches to a broker already refused', async () => {
    const tab = attachedIn('forbidden', 'forbidden');
    await tab.ready;
    expect(await now(outcome(tab.connected))).toMatchObject({ code: 'FORBIDDEN' });
  });

  it('connected rejects with CLOSED when the tab closes first, even before it attached', async () => {
    const tab = attachedIn('connecting');
    tab.close();
    expect(await now(outcome(tab.connected))).toMatchObject({ code: 'CLOSED', name: 'TabwireError' });
    // ready is not about the connection: it never rejects.
    expect(await now(outcome(tab.ready))).toBe('resolved');
  });

  it('connected stays pending through a logout before it opened', async () => {
    const tab = attachedIn('connecting');
    await tab.ready;
    tell('closed', 'connecting', 'logout');
    expect(await now(outcome(tab.connected))).toBe(pending);
  });
});

describe('onError', () => {
  it('hands every listener the same TabwireError, with the fields the broker sent', async () => {
    const tab = attachedIn('open', 'auth-accepted');
    const seen: TabwireError[][] = [[], []];
    tab.onError((error) => seen[0]!.push(error));
    tab.onError((error) => seen[1]!.push(error));
    await tab.ready;
    page.brokers[0]!.notify({ k: 'er', e: { code: 'SERVER_ERROR', message: 'bad request', serverCode: 'VALIDATION_ERROR' } });
    page.brokers[0]!.notify({ k: 'er', e: { code: 'INVALID_PAYLOAD', message: 'wrong shape', type: 'goal.created' } });
    await now(Promise.resolve());
    const [server, payload] = seen[0]!;
    expect(seen[1]).toEqual(seen[0]);
    expect(seen[1]![0]).toBe(server);
    expect(server).toBeInstanceOf(TabwireError);
    expect(server).toBeInstanceOf(Error);
    expect(server).toMatchObject({ name: 'TabwireError', code: 'SERVER_ERROR', message: 'bad request', serverCode: 'VALIDATION_ERROR', type: undefined });
    expect(server!.stack).toContain('TabwireError');
    expect(payload).toMatchObject({ code: 'INVALID_PAYLOAD', type: 'goal.created', serverCode: undefined });
    // Data from the broker has nothing underneath it in this tab.
    expect(server).not.toHaveProperty('cause');
  });

  it('gives the error underneath as cause when the tab fails to attach', async () => {
    page = fakePage();
    const seen: TabwireError[] = [];
    broker = connectBroker({
      url: 'wss://x/realtime',
      getToken: () => 't',
      sharing: 'worker',
      callTimeoutMs: 1000,
      worker: () => {
        throw new Error('blocked by policy');
      },
    });
    broker.onError((error) => seen.push(error));
    await expect.poll(() => seen.length).toBeGreaterThan(0);
    expect(seen[0]).toBeInstanceOf(TabwireError);
    expect(seen[0]!.message).toMatch(/^attach failed: /);
    expect(seen[0]!.cause).toMatchObject({ code: 'WORKER_UNAVAILABLE', name: 'TabwireError' });
  });
});

describe('TabwireError', () => {
  it('reads as the plain data it was made from, and keeps a cause', () => {
    const cause = new Error('underneath');
    const error = new TabwireError({ code: 'SERVER_ERROR', message: 'm', serverCode: 'X', type: 't' }, { cause });
    expect(error).toMatchObject({ code: 'SERVER_ERROR', message: 'm', serverCode: 'X', type: 't', cause });
    expect(new TabwireError({ code: 'TIMEOUT', message: 'late' })).not.toHaveProperty('cause');
  });

  it('turns back into its plain data for JSON and ports', () => {
    const error = new TabwireError({ code: 'SERVER_ERROR', message: 'm', serverCode: 'X' }, { cause: new Error('underneath') });
    expect(JSON.parse(JSON.stringify(error))).toEqual({ name: 'TabwireError', code: 'SERVER_ERROR', message: 'm', serverCode: 'X' });
    expect(structuredClone(error.toJSON())).toEqual({ name: 'TabwireError', code: 'SERVER_ERROR', message: 'm', serverCode: 'X', type: undefined });
  });
});
