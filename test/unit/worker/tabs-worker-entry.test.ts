/**
 * `tabwire/worker` imported by an app's own entry that awaits at its top level before it calls
 * `startSharedWorkerBroker`: a tab may connect meanwhile, and the app's protocol must still be
 * the one that serves it, never the default broker silently.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const started = vi.hoisted(() => ({ brokers: [] as Array<{ protocol: unknown; accepted: unknown[]; stopped: boolean }> }));
vi.mock('../../../src/broker/browser-broker.ts', () => ({
  startBrowserBroker: (_build: unknown, _base: string, protocol: unknown) => {
    const broker = { protocol, accepted: [] as unknown[], stopped: false };
    started.brokers.push(broker);
    return {
      ready: Promise.resolve(),
      broker: { accept: (port: unknown) => broker.accepted.push(port) },
      stop: async () => void (broker.stopped = true),
    };
  },
}));

const scope = { name: 'tabwire|build-1|wss://x/realtime|0123456789abcdef', location: { href: 'https://app.example/realtime.worker.js' }, onconnect: null as ((event: unknown) => void) | null };
const connect = (port: unknown) => scope.onconnect!({ ports: [port] });
/** A task later: what a top-level `await` of anything real (a fetch, an import) takes at least. */
const nextTask = () => new Promise((resolve) => setTimeout(resolve, 0));

beforeEach(() => {
  started.brokers.length = 0;
  scope.onconnect = null;
  vi.stubGlobal('self', scope);
  vi.resetModules();
});
afterEach(() => vi.unstubAllGlobals());

describe("an app's worker entry that awaits before starting its broker", () => {
  it('serves a tab that connected during the await with its own protocol, and never starts the default', async () => {
    const { startSharedWorkerBroker, jsonProtocol } = await import('../../../worker/broker.worker.ts');
    connect('port-1');
    // The entry's `await`: the connect event came first.
    await Promise.resolve();
    const protocol = jsonProtocol({ preset: 'json', auth: 'cookie' });
    startSharedWorkerBroker({ protocol });
    await nextTask();
    connect('port-2');
    await nextTask();
    expect(started.brokers.map((broker) => broker.protocol)).toEqual([protocol]);
    expect(started.brokers[0]!.accepted).toEqual(['port-1', 'port-2']);
  });

  it('replaces the default broker when it comes after the default started, so its tabs re-attach to it', async () => {
    const { startSharedWorkerBroker, jsonProtocol } = await import('../../../worker/broker.worker.ts');
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    connect('port-1');
    await nextTask();
    await nextTask();
    const protocol = jsonProtocol({ preset: 'json', auth: 'cookie' });
    startSharedWorkerBroker({ protocol });
    await nextTask();
    connect('port-2');
    await nextTask();
    expect(started.brokers.map((broker) => [broker.protocol, broker.stopped])).toEqual([
      [undefined, true],
      [protocol, false],
    ]);
    expect(started.brokers[1]!.accepted).toEqual(['port-2']);
    expect(warn).toHaveBeenCalledOnce();
    warn.mockRestore();
  });
});
