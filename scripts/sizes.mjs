/**
 * Bundle sizes as a consumer ships them: each entry of dist/ with the chunks it
 * imports statically, minified (rolldown's minifier, which Vite uses), then
 * gzip (level 9) and brotli. Chunks the client loads on demand (import(): the
 * leader-tab and tab-local hosts, which carry the whole broker) are reported
 * apart as `clientOnDemand`. The worker is one self-contained file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { brotliCompressSync, gzipSync } from 'node:zlib';
import { minifySync } from 'rolldown/utils';

const staticImport = /(?:import|export)\s*(?:[\w*{}\s,$]+from\s*)?["'](\.{1,2}\/[^"']+)["']/g;
const dynamicImport = /import\(\s*[`"'](\.{1,2}\/[^`"']+)[`"']\s*\)/g;

function closure(file, seen = new Set()) {
  if (seen.has(file)) return seen;
  seen.add(file);
  const code = readFileSync(file, 'utf8');
  for (const match of code.matchAll(staticImport)) closure(join(dirname(file), match[1]), seen);
  return seen;
}

/** Chunks an entry loads with import(), and what they import, minus what the entry has already. */
function lazyChunks(entry, loaded) {
  const lazy = new Set();
  for (const file of loaded) {
    for (const match of readFileSync(file, 'utf8').matchAll(dynamicImport)) {
      for (const chunk of closure(join(dirname(file), match[1]))) if (!loaded.has(chunk)) lazy.add(chunk);
    }
  }
  return lazy;
}

function measure(files) {
  const code = [...files].map((file) => readFileSync(file, 'utf8')).join('\n');
  const minified = minifySync('bundle.js', code, { compress: true, mangle: true }).code;
  return {
    files: [...files].map((file) => file.replace(/^.*dist\//, '')),
    minified: minified.length,
    gzip: gzipSync(minified, { level: 9 }).length,
    brotli: brotliCompressSync(minified).length,
  };
}

/**
 * Sizes of the client entry, the worker, the React bindings (without the client they
 * share) and the PurposePath entry (without the React bindings and client it imports).
 */
export function bundleSizes(dist = 'dist') {
  for (const entry of ['index.js', 'worker.js', 'react.js', 'purposepath-react.js']) {
    if (!existsSync(join(dist, entry))) throw new Error(`${dist}/${entry} is missing: run npm run build first`);
  }
  const client = closure(join(dist, 'index.js'));
  const worker = closure(join(dist, 'worker.js'));
  const react = closure(join(dist, 'react.js'));
  const reactOwn = new Set([...react].filter((file) => !client.has(file)));
  const purposepathOwn = new Set([...closure(join(dist, 'purposepath-react.js'))].filter((file) => !react.has(file)));
  const sizes = { client: measure(client), worker: measure(worker), react: measure(reactOwn), purposepath: measure(purposepathOwn) };
  const clientLazy = lazyChunks(join(dist, 'index.js'), client);
  const workerLazy = lazyChunks(join(dist, 'worker.js'), worker);
  if (clientLazy.size > 0) sizes.clientOnDemand = measure(clientLazy);
  if (workerLazy.size > 0) sizes.workerOnDemand = measure(workerLazy);
  return sizes;
}

/**
 * The size goals the bench report compares against (BENCHMARKS.md says what keeps the build above
 * them), and the budgets `npm test` holds the build to, in gzip bytes. A budget sits just above what
 * its entry measured when it was last moved, so growth is noticed; each move is a commit saying what
 * it bought and what that measurably cost (`git log -p scripts/sizes.mjs`).
 */
export const targets = { client: 4 * 1024, worker: 12 * 1024 };
export const budgets = { client: 13_056, worker: 36_288, react: 3_040, purposepath: 4.75 * 1024 };

if (import.meta.url === `file://${process.argv[1]}`) console.log(JSON.stringify(bundleSizes(), null, 2));
