import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import type { MockBackend } from '../../demo/server/mock-backend.ts';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs } from '../../scripts/chromium.mjs';
import { allInState, eventually, expect, test } from './fixtures.ts';

const withReplay = (backendUrl: string, extra: Record<string, unknown> = {}) => ({
  options: JSON.stringify({ resync: { eventsSinceUrl: `${backendUrl}/api/events` }, ...extra }),
});
const goalIds = (page: Page) =>
  page.evaluate(() => window.harness.events.map((e) => `${String(e.data.goalId)}${e.replayed ? '*' : ''}`));
/**
 * Count the rows of the worker's IndexedDB log, read from the page (same origin, same database).
 * It never creates the database (an empty one, held open, would block the worker's upgrade and
 * send its log to memory) and always closes its connection.
 */
const storedEvents = (page: Page) =>
  page.evaluate(
    () =>
      new Promise<number>((resolve, reject) => {
        const request = indexedDB.open('tabwire');
        request.onupgradeneeded = () => request.transaction!.abort();
        request.onsuccess = () => {
          const db = request.result;
          if (!db.objectStoreNames.contains('events')) {
            db.close();
            return resolve(0);
          }
          const count = db.transaction('events').objectStore('events').count();
          count.onsuccess = () => {
            resolve(count.result);
            db.close();
          };
        };
        request.onerror = () => (request.error?.name === 'AbortError' ? resolve(0) : reject(request.error));
      }),
  );

/** Every tab saw 'before'; then the server goes away (refusing connections) and these events are written. */
async function missWhileDown(pages: Page[], backend: MockBackend, missed: string[]): Promise<void> {
  await allInState(pages, 'open');
  backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
  await eventually(async () => {
    for (const page of pages) expect(await goalIds(page)).toEqual(['before']);
  });
  backend.setAccepting(false);
  backend.drop();
  await allInState(pages, 'backoff');
  for (const goalId of missed) backend.emit('tenant-123', 'goal.created', { goalId });
}

test.describe('nothing missed: the log, last-seen and resync', () => {
  test('events written while the server was down reach each tab exactly once, in order, before live ones, with one resync', async ({ tabs, backend }) => {
    const pages = await tabs.open(4, withReplay(backend.httpUrl));
    await missWhileDown(pages, backend, ['m1', 'm2', 'm3']);
    backend.setReplayFaults({ delayMs: 300 });
    backend.setAccepting(true);
    await eventually(async () => expect(backend.stats().replayRequests).toBe(1), 20_000);
    backend.emit('tenant-123', 'goal.created', { goalId: 'live' });
    await eventually(async () => {
      for (const page of pages) {
        expect(await goalIds(page)).toEqual(['before', 'm1*', 'm2*', 'm3*', 'live']);
        expect(await page.evaluate(() => window.harness.resyncs)).toEqual([
          expect.objectContaining({ reason: 'reconnect', replayed: 3, complete: true }),
        ]);
      }
    }, 20_000);
    await pages[0]!.waitForTimeout(1500);
    for (const page of pages) expect(await page.evaluate(() => window.harness.resyncs.length)).toBe(1);
  });

  test('a replay refused with 401 (the token expired since the handshake): one tab refreshes, the replay is asked again', async ({ tabs, backend }) => {
    const pages = await tabs.open(3, withReplay(backend.httpUrl));
    await missWhileDown(pages, backend, ['m1', 'm2']);
    backend.setReplayFaults({ unauthorized: 1 });
    backend.setAccepting(true);
    await eventually(async () => {
      for (const page of pages) {
        expect(await goalIds(page)).toEqual(['before', 'm1*', 'm2*']);
        expect(await page.evaluate(() => window.harness.resyncs)).toEqual([
          expect.objectContaining({ reason: 'reconnect', replayed: 2, complete: true }),
        ]);
      }
    }, 20_000);
    expect(backend.stats().replayRequests).toBe(2);
    expect(backend.stats().refreshes).toBe(1);
    const refreshCalls = await Promise.all(pages.map((page) => page.evaluate(() => window.harness.refreshCalls)));
    expect(refreshCalls.reduce((a, b) => a + b, 0)).toBe(1);
  });

  test('without a replay endpoint every tab is told once to refetch', async ({ tabs, backend }) => {
    const pages = await tabs.open(3);
    await allInState(pages, 'open');
    backend.emit('tenant-123', 'goal.created', { goalId: 'seen' });
    await eventually(async () => expect(await goalIds(pages[2]!)).toEqual(['seen']));
    backend.drop();
    await eventually(async () => {
      for (const page of pages) {
        expect(await page.evaluate(() => window.harness.resyncs)).toEqual([expect.objectContaining({ reason: 'reconnect', complete: false })]);
      }
    }, 20_000);
  });

  test('a tab opened later renders the activity feed from the log at once', async ({ tabs, backend }) => {
    const [first] = await tabs.open(1);
    await allInState([first!], 'open');
    for (let i = 0; i < 5; i++) backend.emit('tenant-123', 'goal.created', { goalId: `g${i}` });
    backend.emit('tenant-123', 'issue.created', { issueId: 'i1' });
    await eventually(async () => expect(await first!.evaluate(() => window.harness.events.length)).toBe(6));
    const [later] = await tabs.open(1);
    const recent = await later!.evaluate(() => window.harness.broker!.recent({ type: 'goal.*', limit: 3 }));
    expect(recent.map((e) => (e.data as { goalId: string }).goalId)).toEqual(['g2', 'g3', 'g4']);
  });

  test('the log stays within its bound after a long burst, on disk', async ({ tabs, backend }) => {
    const [page] = await tabs.open(1, { options: JSON.stringify({ log: { maxEvents: 50 } }) });
    await allInState([page!], 'open');
    for (let i = 0; i < 600; i++) backend.emit('tenant-123', 'goal.created', { goalId: `g${i}` });
    await eventually(async () => expect(await page!.evaluate(() => window.harness.events.length)).toBe(600));
    await eventually(async () => expect(await storedEvents(page!)).toBe(50));
    const recent = await page!.evaluate(() => window.harness.broker!.recent({ limit: 500 }));
    expect(recent).toHaveLength(50);
    expect((recent[0]!.data as { goalId: string }).goalId).toBe('g550');
  });

  test('logout reaches tabs that do not share a broker (sharing: none): every socket closes', async ({ tabs, backend }) => {
    const pages = await tabs.open(3, { options: JSON.stringify({ sharing: 'none' }) });
    await allInState(pages, 'open');
    expect(backend.stats().openSockets).toBe(3);
    await pages[0]!.evaluate(() => window.harness.broker!.logout());
    await allInState(pages, 'closed');
    for (const page of pages) expect(await page.evaluate(() => window.harness.states.at(-1)?.reason)).toBe('logout');
    await eventually(async () => expect(backend.stats().openSockets).toBe(0));
  });

  test('logout closes the socket in every tab and wipes the log on disk', async ({ tabs, backend }) => {
    const pages = await tabs.open(3);
    await allInState(pages, 'open');
    backend.emit('tenant-123', 'goal.created', { goalId: 'private' });
    await eventually(async () => expect(await storedEvents(pages[0]!)).toBe(1));
    await pages[1]!.evaluate(() => window.harness.broker!.logout());
    await allInState(pages, 'closed');
    for (const page of pages) expect(await page.evaluate(() => window.harness.states.at(-1)?.reason)).toBe('logout');
    await eventually(async () => expect(backend.stats().openSockets).toBe(0));
    expect(await storedEvents(pages[2]!)).toBe(0);
    const leftovers = await pages[0]!.evaluate(
      () =>
        new Promise<unknown[]>((resolve) => {
          const request = indexedDB.open('tabwire');
          request.onsuccess = () => {
            const all = request.result.transaction('meta').objectStore('meta').getAll();
            all.onsuccess = () => {
              resolve(all.result);
              request.result.close();
            };
          };
        }),
    );
    expect(leftovers).toEqual([]);
  });

  test('an IndexedDB held by a newer version: the worker relays from memory and says the log is degraded', async ({ tabs, backend }) => {
    const [page] = await tabs.open(1, { connect: '0' });
    await page!.evaluate(
      () =>
        new Promise<void>((resolve) => {
          const request = indexedDB.open('tabwire', 99);
          request.onsuccess = () => {
            request.result.close();
            resolve();
          };
        }),
    );
    await page!.evaluate(() => window.harness.connect());
    await allInState([page!], 'open');
    backend.emit('tenant-123', 'goal.created', { goalId: 'flows' });
    await eventually(async () => expect(await goalIds(page!)).toEqual(['flows']));
    const stats = await page!.evaluate(() => window.harness.broker!.stats());
    expect(stats.log.status).toBe('degraded');
    expect(await page!.evaluate(() => window.harness.errors.map((e) => e.code))).toContain('LOG_DEGRADED');
    expect(await page!.evaluate(() => window.harness.broker!.recent({}))).toHaveLength(1);
  });

  test('the database deleted under a running worker: it gives way, keeps relaying, and stores again in a new database', async ({ tabs, backend }) => {
    const pages = await tabs.open(2);
    await allInState(pages, 'open');
    backend.emit('tenant-123', 'goal.created', { goalId: 'a' });
    await eventually(async () => expect(await storedEvents(pages[0]!)).toBe(1));
    await pages[0]!.evaluate(
      () =>
        new Promise<void>((resolve, reject) => {
          const request = indexedDB.deleteDatabase('tabwire');
          request.onsuccess = () => resolve();
          request.onerror = () => reject(request.error);
        }),
    );
    backend.emit('tenant-123', 'goal.created', { goalId: 'b' });
    await eventually(async () => {
      for (const page of pages) expect(await goalIds(page)).toEqual(['a', 'b']);
    });
    // Not degraded for the worker's life: the log reopens (a new, empty database) and keeps storing.
    await eventually(async () => expect((await pages[1]!.evaluate(() => window.harness.broker!.stats())).log.status).toBe('ok'));
    await eventually(async () => expect(await storedEvents(pages[0]!)).toBeGreaterThanOrEqual(1));
    const recent = await pages[1]!.evaluate(() => window.harness.broker!.recent({}));
    expect(recent.map((event) => (event.data as { goalId?: string }).goalId)).toContain('b');
  });
});

test.describe('across a browser restart', () => {
  test('a new worker in a restarted browser resyncs from the stored last-seen and replays what it missed', async ({ playwright, web, backend, dialect }) => {
    const profile = mkdtempSync(join(tmpdir(), 'tabwire-profile-'));
    const launch = () =>
      playwright.chromium.launchPersistentContext(profile, { executablePath: process.env.CHROMIUM_PATH, args: chromiumArgs, headless: true });
    const url = `${web.url}/harness.html?${new URLSearchParams({ backend: backend.httpUrl, dialect, ...withReplay(backend.httpUrl) })}`;
    try {
      let context = await launch();
      const first = await context.newPage();
      await first.goto(url);
      await first.waitForFunction(() => window.harness?.broker?.state === 'open');
      backend.emit('tenant-123', 'goal.created', { goalId: 'before' });
      await eventually(async () => expect(await storedEvents(first)).toBe(1));
      const seenAt = await first.evaluate(() => window.harness.events[0]!.timestamp);
      await context.close();
      backend.emit('tenant-123', 'goal.created', { goalId: 'while-closed-1' });
      backend.emit('tenant-123', 'goal.created', { goalId: 'while-closed-2' });
      context = await launch();
      const reopened = await context.newPage();
      await reopened.goto(url);
      await eventually(async () =>
        expect(await reopened.evaluate(() => window.harness.resyncs)).toEqual([
          expect.objectContaining({ since: seenAt, reason: 'restart', replayed: 2, complete: true }),
        ]),
      );
      expect(await goalIds(reopened)).toEqual(['while-closed-1*', 'while-closed-2*']);
      const recent = await reopened.evaluate(() => window.harness.broker!.recent({}));
      expect(recent.map((e) => (e.data as { goalId: string }).goalId)).toEqual(['before', 'while-closed-1', 'while-closed-2']);
      await context.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  });
});
