import { act, createElement } from 'react';
import { type Root, createRoot } from 'react-dom/client';
import { afterEach, beforeEach, expect, it, vi } from 'vitest';
import type { ConnectOptions } from '../../src/tab/options.ts';
import { createMemoryBroker } from '../../src/testing.ts';

const connected: Array<{ sessionKey?: string; closed: boolean }> = [];
vi.mock('../../src/tab/client.ts', async (importOriginal) => ({
  ...(await importOriginal<object>()),
  connectBroker: (options: ConnectOptions) => {
    const broker = createMemoryBroker();
    connected.push({
      sessionKey: options.sessionKey,
      get closed() {
        return broker.closed;
      },
    });
    return broker;
  },
}));
const { TabwireProvider } = await import('../../src/tab/react.ts');

(globalThis as { IS_REACT_ACT_ENVIRONMENT?: boolean }).IS_REACT_ACT_ENVIRONMENT = true;

let root: Root;
beforeEach(() => {
  connected.length = 0;
  root = createRoot(document.createElement('div'));
});
afterEach(() => act(() => root.unmount()));

const options = (sessionKey: string) => ({ url: 'wss://x/realtime', getToken: () => 't', sessionKey });

it("TabwireProvider moves to another account's broker when sessionKey changes, and only then", () => {
  act(() => root.render(createElement(TabwireProvider, { options: options('t:ada') })));
  act(() => root.render(createElement(TabwireProvider, { options: options('t:ada') })));
  expect(connected).toEqual([{ sessionKey: 't:ada', closed: false }]);
  act(() => root.render(createElement(TabwireProvider, { options: options('t:bob') })));
  expect(connected).toEqual([
    { sessionKey: 't:ada', closed: true },
    { sessionKey: 't:bob', closed: false },
  ]);
});
