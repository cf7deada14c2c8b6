/**
 * Fixtures for end-to-end tests: the built harness pages served once per
 * worker, a fresh mock backend per test (always stopped), and helpers to open
 * many tabs of one browser context and read what they received.
 */
import { type BrowserContext, type Page, test as base, expect } from '@playwright/test';
import { type MockBackend, startMockBackend, type MockBackendOptions } from '../../demo/server/mock-backend.ts';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';

export interface Tabs {
  /** Open `count` harness tabs in `context` (default: the test's context) and wait until each attached. */
  open(count: number, query?: Record<string, string>, context?: BrowserContext): Promise<Page[]>;
  url(query?: Record<string, string>): string;
}

/** The backend's dialect a project runs its specs against (playwright.config.ts). */
export type Dialect = NonNullable<MockBackendOptions['dialect']>;

export const test = base.extend<
  { backend: MockBackend; backendOptions: MockBackendOptions; tabs: Tabs; dialect: Dialect },
  { web: StaticServer }
>({
  web: [
    async ({}, use) => {
      const server = await startStaticServer({ '/': 'dist-demo' });
      await use(server);
      await server.close();
    },
    { scope: 'worker' },
  ],
  backendOptions: [{}, { option: true }],
  dialect: ['purposepath', { option: true }],
  backend: async ({ backendOptions, dialect }, use) => {
    const backend = await startMockBackend({ dialect, ...backendOptions });
    await use(backend);
    await backend.close();
  },
  tabs: async ({ web, backend, context, dialect }, use) => {
    const url = (query: Record<string, string> = {}) =>
      `${web.url}/harness.html?${new URLSearchParams({ backend: backend.httpUrl, dialect, ...query })}`;
    await use({
      url,
      async open(count, query = {}, inContext = context) {
        const pages: Page[] = [];
        for (let i = 0; i < count; i++) {
          const page = await inContext.newPage();
          page.on('pageerror', (error) => console.error(`[tab ${i}] ${error.message}`));
          await page.goto(url(query));
          if (query.connect !== '0') await page.waitForFunction(() => window.harness?.broker !== undefined);
          pages.push(page);
        }
        if (query.connect !== '0') await Promise.all(pages.map((page) => page.evaluate(() => window.harness.broker!.ready)));
        return pages;
      },
    });
  },
});

export { expect };

/** Wait until every page's broker is in `state`. */
export async function allInState(pages: Page[], state: string, timeoutMs = 15_000): Promise<void> {
  await Promise.all(pages.map((page) => page.evaluate(([s, t]) => window.harness.waitForState(s as string, t as number), [state, timeoutMs] as const)));
}

/** The event types each page received, in order. */
export function received(pages: Page[]): Promise<string[][]> {
  return Promise.all(pages.map((page) => page.evaluate(() => window.harness.types())));
}

/** Poll until `check` passes (it throws until then), like expect.poll for several assertions. */
export async function eventually(check: () => Promise<void>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await check();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}
