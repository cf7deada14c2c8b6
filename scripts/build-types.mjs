/**
 * Emit the public type declarations: one bundled file per entry, next to its
 * JavaScript (dist/index.d.ts, dist/react.d.ts, dist/purposepath-react.d.ts,
 * dist/testing.d.ts, dist/worker.d.ts), holding only
 * what the entry exports. Internals (the RPC, the hosts, the broker) never reach a
 * consumer's editor, and nothing but the entries can be imported from types.
 *
 * rollup-plugin-dts compiles the sources' declarations and bundles them. The React
 * entry takes every shared type from the main entry's file (`./index.js`, the very
 * file `tabwire` resolves to) rather than a copy of its own: `declare module 'tabwire'
 * { interface TabwireEvents … }` must reach the hooks too, and a second copy of the
 * interface would not be augmented. Relative, not `tabwire`: node10 resolution has no
 * self-reference, and a linked package would not find itself.
 *
 * The PurposePath React entry does the same, one step further: the core hooks and the
 * provider it builds on come from the React entry's file (`./react.js`), the rest from
 * the main entry's. The testing entry keeps its own files and takes the rest from the main entry's,
 * so its memory broker is the very `Broker` type the app's code is written against.
 */
import { resolve } from 'node:path';
import { rollup } from 'rollup';
import { dts } from 'rollup-plugin-dts';

const root = resolve(import.meta.dirname, '..');
const reactFiles = new Set(['src/react.ts', 'src/tab/react.ts', 'src/tab/react-channels.ts'].map((file) => resolve(root, file)));

/** For the React entry: anything but its own two files is the main entry's. */
const fromMainEntry = fromEntries('tabwire:react-types-from-main-entry', (id) => (reactFiles.has(id) ? undefined : 'tabwire'));

/** For the PurposePath React entry: its own files stay; the React entry's come from its file, the rest from the main entry's. */
const purposepathOwn = (id) => id === resolve(root, 'src/purposepath-react.ts') || id.startsWith(resolve(root, 'src/purposepath') + '/');
const fromReactEntry = fromEntries('tabwire:purposepath-types-from-entries', (id) =>
  purposepathOwn(id) ? undefined : reactFiles.has(id) ? 'tabwire/react' : 'tabwire',
);

/** A plugin that takes each source file `entryOf` names (`tabwire`, `tabwire/react`) from that entry's file. */
function fromEntries(name, entryOf) {
  return {
    name,
    async resolveId(source, importer, options) {
      if (!importer || source === 'react' || source.startsWith('react/')) return null;
      const resolved = await this.resolve(source, importer, { ...options, skipSelf: true });
      const entry = resolved && !resolved.external ? entryOf(resolved.id) : undefined;
      return entry ? { id: entry, external: true } : resolved;
    },
  };
}

/** For the testing entry: its own files stay; the rest are the main entry's. */
const testingOwn = (id) => id === resolve(root, 'src/testing.ts') || id.startsWith(resolve(root, 'src/testing') + '/');
const fromMainEntryForTesting = fromEntries('tabwire:testing-types-from-main-entry', (id) => (testingOwn(id) ? undefined : 'tabwire'));

const entries = [
  { input: 'src/index.ts', output: 'dist/index.d.ts', plugins: [] },
  { input: 'src/react.ts', output: 'dist/react.d.ts', plugins: [fromMainEntry] },
  { input: 'src/purposepath-react.ts', output: 'dist/purposepath-react.d.ts', plugins: [fromReactEntry] },
  { input: 'src/testing.ts', output: 'dist/testing.d.ts', plugins: [fromMainEntryForTesting] },
  { input: 'worker/broker.worker.ts', output: 'dist/worker.d.ts', plugins: [] },
  { input: 'src/graphql-ws.ts', output: 'dist/graphql-ws.d.ts', plugins: [] },
  { input: 'src/socket-io.ts', output: 'dist/socket-io.d.ts', plugins: [] },
];

for (const entry of entries) {
  const bundle = await rollup({
    input: resolve(root, entry.input),
    external: (id) => id === 'react' || id.startsWith('react/'),
    plugins: [...entry.plugins, dts({ tsconfig: resolve(root, 'tsconfig.build.json'), compilerOptions: { declarationDir: undefined } })],
    onwarn(warning, warn) {
      // The worker entry exports nothing: its declaration file is rightly empty.
      if (warning.code === 'EMPTY_BUNDLE') return;
      // Any other warning is a declaration that will not resolve for a consumer: fail the build.
      warn(warning);
      process.exitCode = 1;
    },
  });
  await bundle.write({ file: resolve(root, entry.output), format: 'es', paths: { tabwire: './index.js', 'tabwire/react': './react.js' } });
  await bundle.close();
}
