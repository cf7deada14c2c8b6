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

export default defineConfig({
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
});
