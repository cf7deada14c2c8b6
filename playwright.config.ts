/**
 * End-to-end tests and benchmarks in real headless Chromium (Debian's, found
 * or installed by scripts/chromium.mjs). Pages are the built demo/harness
 * (dist-demo), served per worker; each test starts its own mock backend.
 */
import { defineConfig } from '@playwright/test';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs, ensureChromium } from './scripts/chromium.mjs';

const executablePath: string = process.env.CHROMIUM_PATH ?? ensureChromium();
process.env.CHROMIUM_PATH = executablePath;

/** The backend's dialect the specs run against (a fixture option of test/e2e/fixtures.ts). */
type Dialect = 'purposepath' | 'events';

export default defineConfig<{ dialect: Dialect }>({
  testDir: 'test',
  testMatch: ['e2e/**/*.spec.ts'],
  fullyParallel: false,
  workers: Number(process.env.E2E_WORKERS ?? 2),
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 15_000 },
  reporter: process.env.CI ? [['list'], ['json', { outputFile: '.tmp/e2e-results.json' }]] : [['list']],
  use: {
    headless: true,
    launchOptions: { executablePath, args: chromiumArgs },
    trace: 'off',
  },
  projects: [
    { name: 'purposepath', use: { dialect: 'purposepath' } },
    // The second dialect shares nothing with PurposePath's (docs/protocols.md): the suites that say
    // what tabwire guarantees whatever the backend run against it too, the same specs.
    { name: 'events', use: { dialect: 'events' }, testMatch: ['e2e/foundation.spec.ts', 'e2e/log-resync.spec.ts'] },
  ],
});
