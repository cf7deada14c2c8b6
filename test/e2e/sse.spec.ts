/**
 * Server-Sent Events in real Chromium against the mock backend's stream (demo/server/sse.ts),
 * over HTTP/1.1 where a browser opens at most six connections per host: twelve tabs on one
 * stream in the SharedWorker, beside the proof that twelve tabs with an EventSource each stall
 * from the seventh on (their stream and every other request to that host); a drop resumed with
 * the last event id, nothing lost or doubled; the fetch reader's bearer header and the server's
 * retry; a stream a buffering proxy holds back, replaced after its silence.
 */
import type { Page } from '@playwright/test';
import type { SseStats } from '../../demo/server/sse.ts';
import { allInState, eventually, expect, test } from './fixtures.ts';

async function sse(backend: { httpUrl: string }, action: string, body: Record<string, unknown> = {}): Promise<SseStats> {
  const response = await fetch(`${backend.httpUrl}/__control/sse/${action}`, { method: 'POST', body: JSON.stringify(body) });
  return (await response.json()) as SseStats;
}

/** Connect the harness page to the stream; `cookie` sets the session cookie a login would set. */
async function connectSse(page: Page, transport: Record<string, unknown>, cookie = false): Promise<void> {
  await page.evaluate(
    async ([t, withCookie]) => {
      const session = await window.harness.ensureSession();
      if (withCookie) document.cookie = `session=${session.accessToken}; path=/; SameSite=Lax`;
      await window.harness.connect({ url: `${window.harness.backend}/sse`, transport: t as never });
    },
    [transport, cookie] as const,
  );
}

/** Whether a plain request to the backend from this page answers within `ms`. */
const reachable = (page: Page, ms: number) =>
  page.evaluate(async (timeout) => {
    try {
      const response = await fetch(`${window.harness.backend}/health`, { signal: AbortSignal.timeout(timeout), cache: 'no-store' });
      return response.ok;
    } catch {
      return false;
    }
  }, ms);

const notes = (page: Page) => page.evaluate(() => window.harness.events.map((e) => String((e.data as { note?: unknown }).note)));

test.describe('Server-Sent Events, one stream per browser', () => {
  test('twelve tabs share one EventSource stream: each gets every event, and the host stays reachable', async ({ tabs, backend }) => {
    const pages = await tabs.open(12, { connect: '0' });
    for (const page of pages) await connectSse(page, { type: 'sse', events: [] }, true);
    await allInState(pages, 'open');
    expect(await sse(backend, 'stats')).toMatchObject({ open: 1, streams: 1, auth: ['cookie'] });
    for (const note of ['a', 'b', 'c']) backend.emit('tenant-123', 'note.created', { note });
    await eventually(async () => {
      for (const page of pages) expect(await notes(page)).toEqual(['a', 'b', 'c']);
    });
    const answers = await Promise.all(pages.map((page) => reachable(page, 10_000)));
    expect(answers).toEqual(Array(12).fill(true));
  });

  test('twelve tabs with an EventSource each stall from the seventh on: the stream and every other request to the host', async ({ tabs, backend }) => {
    const pages = await tabs.open(12, { connect: '0' });
    const token = await pages[0]!.evaluate(async () => (await window.harness.ensureSession()).accessToken);
    for (const page of pages) {
      await page.evaluate((t) => {
        const source = new EventSource(`${window.harness.backend}/sse?access_token=${t}`);
        (window as unknown as { opened: boolean }).opened = false;
        source.onopen = () => ((window as unknown as { opened: boolean }).opened = true);
      }, token);
    }
    await eventually(async () => expect((await sse(backend, 'stats')).open).toBe(6));
    // Long enough for a seventh to have come if it could.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await sse(backend, 'stats')).open).toBe(6);
    const opened = await Promise.all(pages.map((page) => page.evaluate(() => (window as unknown as { opened: boolean }).opened)));
    expect(opened.filter(Boolean)).toHaveLength(6);
    // The next tab's request to the host waits behind the six streams, whatever it is.
    const blocked = pages[opened.indexOf(false)]!;
    expect(await reachable(blocked, 3000)).toBe(false);
  });

  test('a dropped stream resumes from the last event id (a parameter, for EventSource): nothing lost, nothing doubled', async ({ tabs, backend }) => {
    const pages = await tabs.open(3, { connect: '0', options: JSON.stringify({ reconnect: { minDelayMs: 500, maxDelayMs: 600 } }) });
    for (const page of pages) await connectSse(page, { type: 'sse', resume: true }, true);
    await allInState(pages, 'open');
    backend.emit('tenant-123', 'note.created', { note: 'one' });
    backend.emit('tenant-123', 'note.created', { note: 'two' });
    await eventually(async () => expect(await notes(pages[2]!)).toEqual(['one', 'two']));
    await sse(backend, 'drop');
    backend.emit('tenant-123', 'note.created', { note: 'three' });
    backend.emit('tenant-123', 'note.created', { note: 'four' });
    await eventually(async () => {
      for (const page of pages) expect(await page.evaluate(() => window.harness.resyncs.length)).toBe(1);
    });
    for (const page of pages) {
      expect(await notes(page)).toEqual(['one', 'two', 'three', 'four']);
      expect(await page.evaluate(() => window.harness.resyncs[0])).toMatchObject({ reason: 'reconnect', complete: true });
    }
    const stats = await sse(backend, 'stats');
    expect(stats.streams).toBe(2);
    expect(stats.lastEventIds[1]).toMatch(/^\d+$/);
  });

  test("the fetch reader sends a tab's token as a bearer header, and waits the server's retry", async ({ tabs, backend }) => {
    await sse(backend, 'settings', { retryMs: 2000 });
    const pages = await tabs.open(2, { connect: '0', options: JSON.stringify({ reconnect: { minDelayMs: 50, maxDelayMs: 5000 } }) });
    for (const page of pages) await connectSse(page, { type: 'sse', auth: 'bearer', resume: true });
    await allInState(pages, 'open');
    const dropped = Date.now();
    await sse(backend, 'drop');
    await eventually(async () => expect((await sse(backend, 'stats')).open).toBe(1), 15_000);
    expect(Date.now() - dropped).toBeGreaterThanOrEqual(1900);
    expect(await sse(backend, 'stats')).toMatchObject({ streams: 2, auth: ['bearer', 'bearer'] });
    backend.emit('tenant-123', 'note.created', { note: 'after' });
    await eventually(async () => {
      for (const page of pages) expect(await notes(page)).toEqual(['after']);
    });
  });

  test('a stream a buffering proxy holds back is replaced once silent too long, and the resume brings what was held', async ({ tabs, backend }) => {
    // EventSource sees no comments: its heartbeat must be an event.
    await sse(backend, 'settings', { heartbeat: 'event', heartbeatMs: 300 });
    const pages = await tabs.open(2, { connect: '0', options: JSON.stringify({ reconnect: { minDelayMs: 50, maxDelayMs: 100 } }) });
    for (const page of pages) await connectSse(page, { type: 'sse', resume: true, silenceTimeoutMs: 1500 }, true);
    await allInState(pages, 'open');
    backend.emit('tenant-123', 'note.created', { note: 'before' });
    await eventually(async () => expect(await notes(pages[1]!)).toEqual(['before']));
    // The heartbeat events keep the quiet stream: no new one past the timeout.
    await new Promise((resolve) => setTimeout(resolve, 2000));
    expect((await sse(backend, 'stats')).streams).toBe(1);
    await sse(backend, 'buffer');
    backend.emit('tenant-123', 'note.created', { note: 'held' });
    await eventually(async () => {
      for (const page of pages) expect(await notes(page)).toEqual(['before', 'held']);
    });
    expect((await sse(backend, 'stats')).streams).toBe(2);
  });
});
