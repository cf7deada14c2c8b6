/** `tabwire/worker`: the bundled entry starts the default broker, unless an app's own entry started one with its protocol. */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const started = vi.hoisted(() => ({ calls: [] as unknown[][], accepted: [] as unknown[] }));
vi.mock('../../../src/broker/browser-broker.ts', () => ({
  startBrowserBroker: (...args: unknown[]) => {
    started.calls.push(args);
    return { ready: Promise.resolve(), broker: { accept: (port: unknown) => started.accepted.push(port) } };
  },
}));

const scope = { name: 'tabwire|build-1|wss://x/realtime', location: { href: 'https://app.example/worker.js' }, onconnect: null as ((event: unknown) => void) | null };
const connect = (port: unknown) => scope.onconnect!({ ports: [port] });

beforeEach(() => {
  started.calls.length = 0;
  started.accepted.length = 0;
  scope.onconnect = null;
  vi.stubGlobal('self', scope);
  vi.resetModules();
});
afterEach(() => vi.unstubAllGlobals());

describe('tabwire/worker', () => {
  it('run as the script, starts the broker with the dialect the tabs describe when the first tab connects', async () => {
    await import('../../../worker/broker.worker.ts');
    expect(started.calls).toHaveLength(0);
    connect('port-1');
    connect('port-2');
    // A task later: an app's entry that awaited first may still start its own.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(started.calls).toHaveLength(1);
    expect(started.calls[0]![0]).toMatchObject({ buildId: 'build-1', mode: 'worker' });
    expect(started.calls[0]![2]).toBeUndefined();
    expect(started.accepted).toEqual(['port-1', 'port-2']);
  });

  it("imported by an app's entry that starts its own broker, runs that one, with its protocol", async () => {
    const { startSharedWorkerBroker, jsonProtocol } = await import('../../../worker/broker.worker.ts');
    const protocol = { ...jsonProtocol({ preset: 'json', auth: 'cookie' }), relayControl: true };
    startSharedWorkerBroker({ protocol });
    startSharedWorkerBroker();
    connect('port-1');
    await Promise.resolve();
    expect(started.calls).toHaveLength(1);
    expect(started.calls[0]![2]).toBe(protocol);
    expect(started.accepted).toEqual(['port-1']);
  });
});
