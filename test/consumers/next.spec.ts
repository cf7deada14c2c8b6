import { expect, test } from '../e2e/fixtures.ts';
import { type Running, freePort, prepareApp, run, startServer } from './apps.ts';
import { appUrl, errorsOf, expectOneSocketForAll, openTabs } from './tabs.ts';

/** A Next.js App Router app ('use client' component), built with Turbopack and with webpack, run by `next start`. */
let app: ReturnType<typeof prepareApp>;
let server: Running | undefined;
const next = 'node_modules/next/dist/bin/next';
const env = { NEXT_TELEMETRY_DISABLED: '1' };

test.beforeAll(() => {
  test.setTimeout(600_000);
  app = prepareApp('next', process.env.TABWIRE_TARBALL!);
});
test.afterEach(async () => {
  await server?.stop();
  server = undefined;
});
test.afterAll(() => app?.remove());

for (const [bundler, flags] of [['Turbopack', []], ['webpack', ['--webpack']]] as const) {
  test(`next build (${bundler}) + next start: three tabs share one socket through the SharedWorker`, async ({ context, backend }) => {
    test.setTimeout(600_000);
    const distEnv = { ...env, NEXT_DIST_DIR: `.next-${bundler.toLowerCase()}` };
    run(process.execPath, [next, 'build', ...flags], app.dir, distEnv);
    const port = await freePort();
    server = await startServer(process.execPath, [next, 'start', '-H', '127.0.0.1', '-p', String(port)], app.dir, `http://127.0.0.1:${port}/`, distEnv);
    const pages = await openTabs(context, appUrl(`${server.url}/`, backend));
    await expectOneSocketForAll(pages, backend);
    expect((await errorsOf(pages)).flat()).toEqual([]);
  });
}
