/**
 * One config, three uses:
 *  - `vite build`               the library: dist/index.js, react.js, purposepath-react.js, testing.js, worker.js (+ types)
 *  - `vite` / `vite build --mode demo`   the demo and the e2e harness pages (demo/)
 *  - `vitest`                   unit and integration tests (Node, fake-indexeddb, fake clocks)
 */
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { type Plugin, build } from 'vite';
import { defineConfig } from 'vitest/config';

const root = import.meta.dirname;
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };

/** Version + hash of the library sources: changes whenever the code a worker runs changes. */
function buildId(): string {
  if (process.env.TABWIRE_BUILD_ID) return process.env.TABWIRE_BUILD_ID;
  const hash = createHash('sha256');
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts')) hash.update(name).update(readFileSync(path));
    }
  };
  walk(join(root, 'src'));
  walk(join(root, 'worker'));
  return `${pkg.version}-${hash.digest('hex').slice(0, 10)}`;
}

/**
 * The client's worker reference in the form app bundlers recognise. Vite's library build writes
 * `new URL(new URL("worker.js", import.meta.url).href, "" + import.meta.url)`, which webpack and
 * Turbopack take for an asset's URL made into another (a file:// URL in Next.js, where the worker
 * then cannot start). `new URL("./worker.js", import.meta.url)` inside `new SharedWorker(…)` is
 * what webpack 5, Turbopack and Vite all bundle as a worker. Line breaks are kept for the sourcemap.
 */
function literalWorkerUrl(): Plugin {
  const written = /new URL\(\s*(?:\/\*\s*@vite-ignore\s*\*\/\s*)?new URL\("worker\.js", import\.meta\.url\)\.href,\s*"" \+ import\.meta\.url\s*\)/g;
  return {
    name: 'tabwire:literal-worker-url',
    apply: 'build',
    generateBundle(_, bundle) {
      let found = 0;
      for (const chunk of Object.values(bundle)) {
        if (chunk.type !== 'chunk') continue;
        chunk.code = chunk.code.replace(written, (match) => {
          found++;
          return `new URL("./worker.js", import.meta.url${match.replace(/[^\n]/g, '')})`;
        });
      }
      if (found !== 1) this.error(`the worker's URL was found ${found} times in the client, expected once`);
    },
  };
}

/**
 * Vite bundles a worker without its entry's exports (it sets `preserveEntrySignatures: false`,
 * past any config). tabwire's worker keeps them: an app's own worker entry imports
 * `startSharedWorkerBroker` from it (`tabwire/worker`) to run a dialect written in code.
 * The `options` hook is the last word on the bundle's options.
 */
function keepWorkerExports(): Plugin {
  return {
    name: 'tabwire:keep-worker-exports',
    apply: 'build',
    options: (options) => ({ ...options, preserveEntrySignatures: 'exports-only' }),
  };
}

/**
 * The package's command (`npx tabwire mock`, demo/server/tabwire-cli.ts), built after the
 * library into dist/bin/tabwire.js: for Node, one file with its dependencies (`ws`) inside,
 * so the packed package runs it with Node alone. `ws`'s optional native helpers stay out:
 * it requires them inside a try and does without.
 */
function buildCommand(): Plugin {
  return {
    name: 'tabwire:build-command',
    apply: 'build',
    async closeBundle() {
      await build({
        configFile: false,
        logLevel: 'warn',
        build: {
          ssr: resolve(root, 'demo/server/tabwire-cli.ts'),
          outDir: resolve(root, 'dist/bin'),
          emptyOutDir: true,
          target: 'node20',
          minify: true,
          rollupOptions: {
            external: ['bufferutil', 'utf-8-validate'],
            output: { format: 'es', entryFileNames: 'tabwire.js', banner: '#!/usr/bin/env node' },
          },
        },
        ssr: { noExternal: true, target: 'node' },
      });
    },
  };
}

/** The library's entries that hold hooks: each is marked 'use client'. */
const reactEntries = new Set(['react', 'purposepath-react']);

export default defineConfig(({ mode, command }) => {
  const define = { __TABWIRE_BUILD__: JSON.stringify(buildId()), __TABWIRE_BUILT_AT__: String(Date.now()) };
  if (mode === 'demo' || (command === 'serve' && !process.env.VITEST)) {
    return {
      root: resolve(root, 'demo'),
      base: './',
      define,
      server: { host: '127.0.0.1', port: Number(process.env.DEMO_PORT ?? 5173), strictPort: false },
      build: {
        outDir: resolve(root, process.env.DEMO_OUT_DIR ?? 'dist-demo'),
        emptyOutDir: true,
        target: 'es2022',
        rollupOptions: {
          input: {
            index: resolve(root, 'demo/index.html'),
            harness: resolve(root, 'demo/harness.html'),
            bench: resolve(root, 'demo/bench.html'),
            purposepath: resolve(root, 'demo/purposepath.html'),
          },
        },
      },
    };
  }
  return {
    define,
    // Relative asset URLs: the worker file is found next to the client in a consumer's build.
    base: './',
    plugins: [literalWorkerUrl(), buildCommand()],
    build: {
      outDir: 'dist',
      target: 'es2022',
      sourcemap: true,
      lib: {
        entry: {
          index: resolve(root, 'src/index.ts'),
          react: resolve(root, 'src/react.ts'),
          'purposepath-react': resolve(root, 'src/purposepath-react.ts'),
          testing: resolve(root, 'src/testing.ts'),
          'graphql-ws': resolve(root, 'src/graphql-ws.ts'),
          'socket-io': resolve(root, 'src/socket-io.ts'),
        },
        formats: ['es'],
      },
      rollupOptions: {
        // graphql-ws is the app's (an optional peer): the GraphQL preset imports its validator from there.
        external: ['react', 'react/jsx-runtime', 'graphql-ws/client'],
        // The bundler drops directives from sources, so the React entries get their
        // 'use client' back here: Next.js's App Router needs it first in the file.
        // Only those entries: the client itself is usable from any module.
        output: { banner: (chunk) => (chunk.isEntry && reactEntries.has(chunk.name) ? "'use client';" : '') },
      },
    },
    // The worker the client starts is bundled on its own, at a fixed name, so
    // `tabwire/worker` can point at the very file the client references. It must
    // be one self-contained file: a consumer's bundler copies it as it is, and
    // chunks it imported on demand would not be there (seen: replay 404s).
    // Its exports are kept too (see keepWorkerExports).
    worker: { format: 'es', plugins: () => [keepWorkerExports()], rollupOptions: { output: { entryFileNames: 'worker.js', codeSplitting: false } } },
    test: {
      projects: [
        {
          extends: true,
          test: { name: 'unit', include: ['test/unit/**/*.test.ts'], environment: 'node' },
        },
        {
          extends: true,
          test: { name: 'integration', include: ['test/integration/**/*.test.ts'], environment: 'node', testTimeout: 20_000 },
        },
        {
          extends: true,
          test: { name: 'react', include: ['test/react/**/*.test.{ts,tsx}'], environment: 'happy-dom' },
        },
        {
          // Needs the library built first (npm test runs it after `npm run build`).
          extends: true,
          test: { name: 'package', include: ['test/package/**/*.test.ts'], environment: 'node', testTimeout: 60_000 },
        },
        {
          // Chromium, Firefox and WebKitGTK, one browser each, the three files side by side;
          // needs the demo build (dist-demo). npm test runs it after the end-to-end tests.
          extends: true,
          test: {
            name: 'conformance',
            include: ['test/conformance/**/*.test.ts'],
            environment: 'node',
            pool: 'forks',
            maxWorkers: 3,
            testTimeout: 45_000,
            hookTimeout: 60_000,
            globalSetup: ['test/conformance/setup.ts'],
          },
        },
      ],
    },
  };
});
