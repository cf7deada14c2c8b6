/**
 * Where the time goes under the bench's CPU workload (500 events/s, 5 every 10 ms, to N tabs of one
 * browser context): V8's sampling profiler (CDP `Profiler`) on the SharedWorker and on one tab, the
 * top functions by self time printed for each. Run from the repository root:
 *
 *   node node_modules/tsx/dist/cli.mjs bench/profile.ts
 *
 * It builds the demo unminified into dist-demo-profile/ first (so function names are the sources'),
 * unless PROFILE_NO_BUILD=1. PROFILE_MODE=relay profiles the bare relay instead of tabwire;
 * PROFILE_TABS (default 4), PROFILE_SECONDS (default 5), PROFILE_TOP (default 25), PROFILE_PER_TICK (events
 * every 10 ms, default 5; 0 profiles the idle cost).
 */
import { execFileSync } from 'node:child_process';
import { type Browser, type CDPSession, type Page, chromium } from 'playwright';
import { completePayload } from '../demo/server/catalogue.ts';
import { type MockBackend, startMockBackend } from '../demo/server/mock-backend.ts';
// @ts-expect-error plain ESM helpers without types
import { chromiumArgs, ensureChromium } from '../scripts/chromium.mjs';
import { startStaticServer } from '../test/support/static-server.ts';

const mode = process.env.PROFILE_MODE ?? 'tabwire';
const tabs = Number(process.env.PROFILE_TABS ?? 4);
const seconds = Number(process.env.PROFILE_SECONDS ?? 5);
const top = Number(process.env.PROFILE_TOP ?? 25);
/** Events sent every 10 ms (5: 500 events/s; 0 profiles the idle cost). */
const perTick = Number(process.env.PROFILE_PER_TICK ?? 5);
/** PROFILE_DIR: profile an existing build of the demo instead of building one. */
const outDir = process.env.PROFILE_DIR ?? 'dist-demo-profile';
const tenant = 'tenant-123';
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

const base = completePayload('measure.reading.created', { tenantId: tenant, userId: 'user-456' }, { kpiId: 'kpi-bench' }, new Date().toISOString());

function send(backend: MockBackend, seq: number): void {
  backend.broadcast(tenant, {
    type: 'measure.reading.created',
    timestamp: new Date().toISOString(),
    data: { ...base, readingId: `r${seq}`, value: seq, seq, sentAt: performance.timeOrigin + performance.now() },
  });
}

/** Self time per function (µs), from the samples and their time deltas, with the share of all samples. */
function selfTimes(profile: Profile): Array<{ name: string; ms: number; share: number }> {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const totals = new Map<string, number>();
  let all = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!;
    const delta = profile.timeDeltas[i + 1] ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    const file = url.split('/').pop() ?? '';
    const name = `${functionName || '(anonymous)'}${file ? ` ${file}:${lineNumber + 1}` : ''}`;
    totals.set(name, (totals.get(name) ?? 0) + delta);
    all += delta;
  }
  return [...totals.entries()]
    .map(([name, us]) => ({ name, ms: us / 1000, share: us / all }))
    .sort((a, b) => b.ms - a.ms);
}

function print(title: string, profile: Profile): void {
  const rows = selfTimes(profile);
  const wall = (profile.endTime - profile.startTime) / 1000;
  const busy = rows.filter((r) => r.name !== '(idle) ' && !r.name.startsWith('(idle)')).reduce((sum, r) => sum + r.ms, 0);
  console.log(`\n## ${title}: ${wall.toFixed(0)} ms profiled, ${busy.toFixed(0)} ms not idle (${((busy / wall) * 100).toFixed(1)} %)\n`);
  console.log('| self ms | % of busy | function |');
  console.log('|---|---|---|');
  for (const row of rows.filter((r) => !r.name.startsWith('(idle)')).slice(0, top)) {
    console.log(`| ${row.ms.toFixed(1)} | ${((row.ms / busy) * 100).toFixed(1)} | ${row.name} |`);
  }
}

/** A session on the SharedWorker through the browser's CDP endpoint (Playwright has no SharedWorker API). */
async function workerSession(browser: Browser): Promise<{ send: (method: string, params?: object) => Promise<unknown>; close: () => Promise<void> } | undefined> {
  const cdp = await browser.newBrowserCDPSession();
  const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: Array<{ targetId: string; type: string; title: string }> };
  const worker = targetInfos.find((target) => target.type === 'shared_worker');
  if (!worker) return undefined;
  const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId: worker.targetId, flatten: false })) as { sessionId: string };
  const answers = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  cdp.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
    if (event.sessionId !== sessionId) return;
    const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: { message: string } };
    if (message.id === undefined) return;
    const answer = answers.get(message.id);
    answers.delete(message.id);
    if (message.error) answer?.reject(new Error(message.error.message));
    else answer?.resolve(message.result);
  });
  let next = 1;
  return {
    send: (method, params = {}) =>
      new Promise((resolve, reject) => {
        const id = next++;
        answers.set(id, { resolve, reject });
        void cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method, params }) });
      }),
    close: () => cdp.detach(),
  };
}

async function main(): Promise<void> {
  if (process.env.PROFILE_NO_BUILD !== '1' && !process.env.PROFILE_DIR) {
    execFileSync(process.execPath, ['node_modules/vite/bin/vite.js', 'build', '--mode', 'demo', '--minify', 'false', '--logLevel', 'warn'], {
      stdio: 'inherit',
      env: { ...process.env, DEMO_OUT_DIR: outDir },
    });
  }
  const executablePath = ensureChromium() as string;
  const backend = await startMockBackend();
  const web = await startStaticServer({ '/': outDir });
  const browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  try {
    const context = await browser.newContext();
    const url = `${web.url}/bench.html?${new URLSearchParams({ backend: backend.httpUrl, mode, options: '{}' })}`;
    const pages: Page[] = [];
    for (let i = 0; i < tabs; i++) {
      const page = await context.newPage();
      await page.goto(url);
      pages.push(page);
    }
    for (const page of pages) await page.waitForFunction(() => (window as unknown as { bench?: { ready: boolean } }).bench?.ready === true, undefined, { timeout: 30_000 });
    // Warm up (the worker's code runs cold at first), as the bench does.
    for (let seq = 0; seq < 1500; seq += 5) {
      for (let i = 0; i < 5; i++) send(backend, seq + i);
      await sleep(10);
    }
    const worker = await workerSession(browser);
    if (!worker) throw new Error('no SharedWorker target');
    const tab: CDPSession = await context.newCDPSession(pages[0]!);
    for (const target of [worker.send, tab.send.bind(tab) as (method: string, params?: object) => Promise<unknown>]) {
      await target('Profiler.enable');
      // 100 µs between samples: fine enough for a ~10 µs-per-event path over thousands of events.
      await target('Profiler.setSamplingInterval', { interval: 100 });
      await target('Profiler.start');
    }
    const start = Date.now();
    let seq = 0;
    while (Date.now() - start < seconds * 1000) {
      for (let i = 0; i < perTick; i++) send(backend, seq++ % 100_000);
      await sleep(10);
    }
    const { profile: workerProfile } = (await worker.send('Profiler.stop')) as { profile: Profile };
    const { profile: tabProfile } = (await tab.send('Profiler.stop')) as { profile: Profile };
    console.log(`# Profile: ${mode}, ${tabs} tabs, ${perTick * 100} events/s for ${seconds} s (${seq} events), ${new Date().toISOString()}`);
    print(`${mode} SharedWorker`, workerProfile);
    print(`${mode} tab 1 of ${tabs}`, tabProfile);
    await worker.close();
  } finally {
    await browser.close();
    await web.close();
    await backend.close();
  }
}

await main();
