/**
 * What the consumer apps' Server-Sent Events mode (`?transport=sse`) must show: more tabs than a
 * browser's six HTTP/1.1 connections per host on one stream, each tab still reaching the host, every
 * event once in every tab, and a dropped stream resumed from the last event id, nothing lost or
 * doubled, each tab told once (docs/protocols.md "Server-Sent Events").
 */
import type { Page } from '@playwright/test';
import type { MockBackend } from '../../demo/server/mock-backend.ts';
import type { SseStats } from '../../demo/server/sse.ts';
import { eventually, expect } from '../e2e/fixtures.ts';

/** Past the sixth tab: an EventSource per tab would leave the seventh without a stream. */
export const sseTabs = 7;

async function sse(backend: MockBackend, action: 'stats' | 'drop'): Promise<SseStats> {
  const response = await fetch(`${backend.httpUrl}/__control/sse/${action}`, { method: 'POST' });
  return (await response.json()) as SseStats;
}

/** Whether a plain request from the page to the backend answers within 10 s. */
const reachable = (page: Page, backend: MockBackend) =>
  page.evaluate(async (url) => {
    try {
      return (await fetch(`${url}/health`, { signal: AbortSignal.timeout(10_000), cache: 'no-store' })).ok;
    } catch {
      return false;
    }
  }, backend.httpUrl);

async function expectInEveryTab(pages: Page[], goalIds: string[]): Promise<void> {
  await eventually(async () => {
    for (const page of pages) expect(await page.evaluate(() => window.app.received)).toEqual(goalIds);
  });
}

export async function expectOneStreamForAll(pages: Page[], backend: MockBackend, auth: 'cookie' | 'bearer'): Promise<void> {
  for (const page of pages) await expect(page.locator('#state')).toHaveText('open');
  for (const page of pages) expect(await page.evaluate(() => window.app.broker.sharing)).toBe('worker');
  expect(await sse(backend, 'stats')).toMatchObject({ open: 1, streams: 1, auth: [auth] });
  expect(backend.stats().openSockets).toBe(0);
  expect(await Promise.all(pages.map((page) => reachable(page, backend)))).toEqual(pages.map(() => true));
  backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
  backend.emit('tenant-123', 'goal.created', { goalId: 'g2' });
  await expectInEveryTab(pages, ['g1', 'g2']);
}

/** The stream dropped and two events written before it is back: both arrive once, with one resync per tab. */
export async function expectDropResumed(pages: Page[], backend: MockBackend): Promise<void> {
  await sse(backend, 'drop');
  backend.emit('tenant-123', 'goal.created', { goalId: 'g3' });
  backend.emit('tenant-123', 'goal.created', { goalId: 'g4' });
  await eventually(async () => {
    for (const page of pages) expect(await page.evaluate(() => window.app.resyncs)).toHaveLength(1);
  }, 20_000);
  backend.emit('tenant-123', 'goal.created', { goalId: 'g5' });
  await expectInEveryTab(pages, ['g1', 'g2', 'g3', 'g4', 'g5']);
  for (const page of pages) expect(await page.evaluate(() => window.app.resyncs)).toEqual([{ reason: 'reconnect', complete: true }]);
  const stats = await sse(backend, 'stats');
  expect(stats).toMatchObject({ open: 1, streams: 2 });
  expect(stats.lastEventIds[1]).toMatch(/^\d+$/);
}
