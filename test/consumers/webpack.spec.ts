import { type StaticServer, startStaticServer } from '../support/static-server.ts';
import { expect, test } from '../e2e/fixtures.ts';
import { prepareApp, run } from './apps.ts';
import { appUrl, errorsOf, expectOneSocketForAll, openTabs } from './tabs.ts';

/** A webpack 5 app (webpack-cli, production mode) served as built. */
let app: ReturnType<typeof prepareApp>;
let site: StaticServer | undefined;

test.beforeAll(async () => {
  test.setTimeout(600_000);
  app = prepareApp('webpack', process.env.TABWIRE_TARBALL!);
  run(process.execPath, ['node_modules/webpack-cli/bin/cli.js'], app.dir);
  site = await startStaticServer({ '/': app.dir });
});
test.afterAll(async () => {
  await site?.close();
  app?.remove();
});

test('webpack 5: three tabs share one socket through the SharedWorker', async ({ context, backend }) => {
  const pages = await openTabs(context, appUrl(`${site!.url}/index.html`, backend));
  await expectOneSocketForAll(pages, backend);
  expect((await errorsOf(pages)).flat()).toEqual([]);
});
