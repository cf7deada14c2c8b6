import { expect, test } from '../e2e/fixtures.ts';
import { type Running, freePort, prepareApp, run, startServer } from './apps.ts';
import { expectDropResumed, expectOneStreamForAll, sseTabs } from './sse.ts';
import { appUrl, errorsOf, expectOneSocketForAll, openTabs } from './tabs.ts';

/** A Next.js App Router app ('use client' component), built with Turbopack and with webpack, run by `next start`. */
let app: ReturnType<typeof prepareApp>;
const next = 'node_modules/next/dist/bin/next';
const env = { NEXT_TELEMETRY_DISABLED: '1' };
type Bundler = 'Turbopack' | 'webpack';
const flags: Record<Bundler, string[]> = { Turbopack: [], webpack: ['--webpack'] };
/** One build and one `next start` per bundler, kept for every test of the file that needs it. */
const servers = new Map<Bundler, Running>();

async function serverFor(bundler: Bundler): Promise<Running> {
  const started = servers.get(bundler);
  if (started) return started;
  const distEnv = { ...env, NEXT_DIST_DIR: `.next-${bundler.toLowerCase()}` };
  run(process.execPath, [next, 'build', ...flags[bundler]], app.dir, distEnv);
  const port = await freePort();
  const server = await startServer(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(port)], app.dir, `http://127.0.0.1:${port}/`, distEnv);
  servers.set(bundler, server);
  return server;
}

test.beforeAll(() => {
  test.setTimeout(600_000);
  app = prepareApp('next', process.env.TABWIRE_TARBALL!);
});
test.afterAll(async () => {
  for (const server of servers.values()) await server.stop();
  servers.clear();
  app?.remove();
});

function socketTest(bundler: Bundler): void {
  test(`next build (${bundler}) + next start: three tabs share one socket through the SharedWorker`, async ({ context, backend }) => {
    test.setTimeout(600_000);
    const server = await serverFor(bundler);
    const pages = await openTabs(context, appUrl(`${server.url}/`, backend));
    await expectOneSocketForAll(pages, backend);
    expect((await errorsOf(pages)).flat()).toEqual([]);
  });
}

socketTest('Turbopack');

// The Turbopack build again (no second build): the app's page with `?transport=sse`.
test(`next start (Turbopack), Server-Sent Events (fetch reader, bearer token): ${sseTabs} tabs share one stream, and a dropped stream resumes with nothing lost or doubled`, async ({ context, backend }) => {
  test.setTimeout(600_000);
  const server = await serverFor('Turbopack');
  const pages = await openTabs(context, appUrl(`${server.url}/`, backend, { transport: 'sse', auth: 'bearer' }), sseTabs);
  await expectOneStreamForAll(pages, backend, 'bearer');
  await expectDropResumed(pages, backend);
  expect((await errorsOf(pages)).flat()).toEqual([]);
});

socketTest('webpack');
