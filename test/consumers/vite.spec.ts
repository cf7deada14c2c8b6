import { join } from 'node:path';
import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import { expect, test } from '../e2e/fixtures.ts';
import { type Running, freePort, prepareApp, run, startServer } from './apps.ts';
import { expectDropResumed, expectOneStreamForAll, sseTabs } from './sse.ts';
import { appUrl, errorsOf, expectOneSocketForAll, openTabs } from './tabs.ts';

/** A Vite app (the registry's Vite) built and served, and on Vite's dev server. */
let app: ReturnType<typeof prepareApp>;
let site: StaticServer | undefined;
let dev: Running | undefined;

test.beforeAll(async () => {
  test.setTimeout(600_000);
  app = prepareApp('vite', process.env.TABWIRE_TARBALL!);
  run(process.execPath, ['node_modules/vite/bin/vite.js', 'build'], app.dir);
  site = await startStaticServer({ '/': join(app.dir, 'dist') });
});
test.afterAll(async () => {
  await site?.close();
  await dev?.stop();
  app?.remove();
});

test('vite build: three tabs share one socket through the SharedWorker', async ({ context, backend }) => {
  const pages = await openTabs(context, appUrl(`${site!.url}/index.html`, backend));
  await expectOneSocketForAll(pages, backend);
  expect((await errorsOf(pages)).flat()).toEqual([]);
});

test(`vite build, Server-Sent Events (EventSource, cookie): ${sseTabs} tabs share one stream, and a dropped stream resumes with nothing lost or doubled`, async ({ context, backend }) => {
  const pages = await openTabs(context, appUrl(`${site!.url}/index.html`, backend, { transport: 'sse' }), sseTabs);
  await expectOneStreamForAll(pages, backend, 'cookie');
  await expectDropResumed(pages, backend);
  expect((await errorsOf(pages)).flat()).toEqual([]);
});

test('vite dev server: three tabs share one socket through the SharedWorker', async ({ context, backend }) => {
  const port = await freePort();
  dev = await startServer(process.execPath, ['node_modules/vite/bin/vite.js', '--host', '127.0.0.1', '--port', String(port), '--strictPort'], app.dir, `http://127.0.0.1:${port}/`);
  const pages = await openTabs(context, appUrl(`${dev.url}index.html`, backend));
  await expectOneSocketForAll(pages, backend);
  expect((await errorsOf(pages)).flat()).toEqual([]);
});

const failing = [['404', 'whose script is not served'], ['throw', 'whose constructor throws'], ['silent', 'that never answers']] as const;
for (const [worker, what] of failing) {
  test(`a worker ${what}: 'auto' falls back to a leader tab and says so once`, async ({ context, backend }) => {
    const pages = await openTabs(context, appUrl(`${site!.url}/index.html`, backend, { worker }));
    await expectOneSocketForAll(pages, backend, 'leader');
    for (const errors of await errorsOf(pages)) {
      expect(errors.map((error) => error.code)).toEqual(['WORKER_UNAVAILABLE']);
    }
    const openAfter = await Promise.all(pages.map((page) => page.evaluate(() => window.app.openAfterMs)));
    console.log(`fallback (${worker}): open after ${openAfter.join(', ')} ms`);
  });
}
