/** What every consumer test checks: three tabs of the app share one socket and each gets every event. */
import type { BrowserContext, Page } from '@playwright/test';
import type { MockBackend } from '../../demo/server/mock-backend.ts';
import { eventually, expect } from '../e2e/fixtures.ts';

declare global {
  interface Window {
    app: {
      broker: { sharing: string; state: string };
      received: string[];
      resyncs: Array<{ reason: string; complete: boolean }>;
      errors: Array<{ code: string; message: string }>;
      openAfterMs?: number;
    };
  }
}

/** Open `count` tabs of the app at `url`, one after the other, as a user would. */
export async function openTabs(context: BrowserContext, url: string, count = 3): Promise<Page[]> {
  const pages: Page[] = [];
  for (let i = 0; i < count; i++) {
    const page = await context.newPage();
    page.on('pageerror', (error) => console.error(`[tab ${i}] ${error.message}`));
    page.on('response', (response) => {
      if (response.status() >= 400 && !response.url().endsWith('/favicon.ico')) console.error(`[tab ${i}] ${response.status()} ${response.url()}`);
    });
    await page.goto(url);
    pages.push(page);
  }
  return pages;
}

export const appUrl = (base: string, backend: MockBackend, query: Record<string, string> = {}) =>
  `${base}?${new URLSearchParams({ backend: backend.httpUrl, ...query })}`;

/** Every tab open, sharing as `sharing` says, one socket at the backend, and an event in every tab. */
export async function expectOneSocketForAll(pages: Page[], backend: MockBackend, sharing = 'worker'): Promise<void> {
  for (const page of pages) await expect(page.locator('#state')).toHaveText('open');
  for (const page of pages) expect(await page.evaluate(() => window.app.broker.sharing)).toBe(sharing);
  expect(backend.stats().openSockets).toBe(1);
  backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
  await eventually(async () => {
    for (const page of pages) expect(await page.evaluate(() => window.app.received)).toEqual(['g1']);
  });
}

/** The errors each tab was told about. */
export const errorsOf = (pages: Page[]) => Promise.all(pages.map((page) => page.evaluate(() => window.app.errors)));
