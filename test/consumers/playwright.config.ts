/**
 * Consumer apps (Vite, webpack 5, Next.js) built against the packed library
 * and driven in Chromium. Needs `npm run build` first. One worker: the builds
 * alone keep both cores busy.
 */
import { defineConfig } from '@playwright/test';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs } from '../../scripts/chromium.mjs';

export default defineConfig({
  testDir: '.',
  testMatch: ['*.spec.ts'],
  globalSetup: './global-setup.ts',
  workers: 1,
  retries: 0,
  timeout: 60_000,
  expect: { timeout: 20_000 },
  reporter: process.env.CI ? [['list'], ['json', { outputFile: '../../.tmp/consumers-results.json' }]] : [['list']],
  use: {
    headless: true,
    launchOptions: { executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: chromiumArgs },
    trace: 'off',
  },
});
