/** Bundle sizes are a budget the build keeps (gzip, minified as a consumer ships them). */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM helper without types
import { budgets, bundleSizes } from '../../scripts/sizes.mjs';

// Budgets (and the targets they miss) are explained in scripts/sizes.mjs and BENCHMARKS.md.

const sizes = bundleSizes() as Record<'client' | 'worker' | 'react' | 'purposepath', { gzip: number; brotli: number; files: string[] }>;

describe('bundle size budget', () => {
  it(`keeps the client entry within ${budgets.client} bytes gzip`, () => {
    expect(sizes.client.gzip).toBeLessThanOrEqual(budgets.client);
  });

  it(`keeps the worker within ${budgets.worker} bytes gzip`, () => {
    expect(sizes.worker.gzip).toBeLessThanOrEqual(budgets.worker);
  });

  it(`keeps the React bindings small on top of the client, within ${budgets.react} bytes gzip`, () => {
    expect(sizes.react.gzip).toBeLessThanOrEqual(budgets.react);
  });

  it(`keeps the PurposePath entry within ${budgets.purposepath} bytes gzip on top of the React bindings`, () => {
    expect(sizes.purposepath.gzip).toBeLessThanOrEqual(budgets.purposepath);
  });
});
