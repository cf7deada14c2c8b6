/** The built package's entry points exist and export what the README documents. */
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const pkg = JSON.parse(readFileSync(resolve(repo, 'package.json'), 'utf8')) as { exports: Record<string, string | Record<string, string>> };

describe('package exports', () => {
  it('points every export at a built file', () => {
    for (const [name, target] of Object.entries(pkg.exports)) {
      for (const file of typeof target === 'string' ? [target] : Object.values(target)) {
        expect(existsSync(resolve(repo, file)), `${name} → ${file}`).toBe(true);
      }
    }
  });

  it('ships the worker the client starts, next to it, under a stable name', () => {
    const client = readFileSync(resolve(repo, 'dist/index.js'), 'utf8') + readdirText('dist');
    // Literally the form app bundlers (Vite, webpack 5, Turbopack) bundle as a worker, with the options that key it.
    expect(client).toMatch(/new SharedWorker\(new URL\("\.\/worker\.js", import\.meta\.url\s*\), \{\s*type: "module",\s*name: \w+,\s*extendedLifetime: (?:true|!0)\s*\}\)/);
    expect(existsSync(resolve(repo, 'dist/worker.js'))).toBe(true);
  });

  it('declares each entry in one bundled file holding only the public surface', () => {
    const declarations = readdirSync(resolve(repo, 'dist'), { recursive: true }).map(String).filter((name) => name.endsWith('.d.ts'));
    expect(declarations.sort()).toEqual(['graphql-ws.d.ts', 'index.d.ts', 'purposepath-react.d.ts', 'react.d.ts', 'socket-io.d.ts', 'testing.d.ts', 'worker.d.ts']);
    const index = readFileSync(resolve(repo, 'dist/index.d.ts'), 'utf8');
    // Internals: the RPC, the hosts, the broker, the link's messages. (`BrokerConfig` is declared:
    // `debug()` shows the config the broker runs with, typed by `BrokerDebug`.)
    for (const internal of ['RpcClient', 'createRpcClient', 'Host', 'AttachRequest', 'StreamMessage', 'resolveConfig', 'sanitizeBrokerConfig']) {
      expect(index, internal).not.toMatch(new RegExp(`\\b${internal}\\b`));
    }
    // The React entry shares the main entry's declarations (so an augmented TabwireEvents reaches the hooks).
    const react = readFileSync(resolve(repo, 'dist/react.d.ts'), 'utf8');
    expect(react).toMatch(/from '\.\/index\.js'/);
    expect(react).not.toMatch(/interface TabwireEvents/);
    // The PurposePath hooks build on the React entry's provider and hooks: one context, one copy.
    const purposepath = readFileSync(resolve(repo, 'dist/purposepath-react.d.ts'), 'utf8');
    expect(purposepath).toMatch(/from '\.\/react\.js'/);
    expect(purposepath).toMatch(/from '\.\/index\.js'/);
    expect(purposepath).not.toMatch(/interface TabwireEvents|declare function useConnectionState/);
  });

  it('offers the PurposePath hooks at tabwire/purposepath/react, and no longer in tabwire/react', () => {
    expect(pkg.exports['./purposepath/react']).toEqual({ types: './dist/purposepath-react.d.ts', default: './dist/purposepath-react.js' });
    // It shares the React entry's code (its context above all) rather than a copy of it:
    // both import the chunk that holds the core hooks, and it has no state hook of its own.
    const imports = (file: string) => new Set([...readFileSync(resolve(repo, 'dist', file), 'utf8').matchAll(/from "\.\/([^"]+)"/g)].map((m) => m[1]));
    const shared = [...imports('purposepath-react.js')].filter((chunk) => imports('react.js').has(chunk));
    expect(shared).not.toEqual([]);
    expect(readFileSync(resolve(repo, 'dist/purposepath-react.js'), 'utf8')).not.toMatch(/useSyncExternalStore/);
    const react = readFileSync(resolve(repo, 'dist/react.d.ts'), 'utf8');
    for (const hook of ['useGoalActivity', 'useRealtimeGoals']) expect(react).not.toMatch(new RegExp(`\\b${hook}\\b`));
    const declared = readFileSync(resolve(repo, 'dist/purposepath-react.d.ts'), 'utf8');
    const guide = ['RealtimeProvider', 'useRealtime', 'useRealtimeEvent', 'useRealtimeConnection', 'useGoalActivity', 'useRealtimeGoals'];
    for (const name of [...guide, 'RealtimeIndicator', 'LiveBadge', 'useLiveBadge', 'GoalActivityFeed', 'RealtimeDebugPanel']) {
      expect(declared, name).toMatch(new RegExp(`export \\{[^}]*\\b${name}\\b`));
    }
  });

  it('offers the memory broker at tabwire/testing, typed as the main entry\'s Broker, without the client or the engine', () => {
    expect(pkg.exports['./testing']).toEqual({ types: './dist/testing.d.ts', default: './dist/testing.js' });
    const declared = readFileSync(resolve(repo, 'dist/testing.d.ts'), 'utf8');
    expect(declared).toMatch(/import [^;]*\bBroker\b[^;]* from '\.\/index\.js'/);
    expect(declared).not.toMatch(/interface Broker\b|interface TabwireEvents/);
    expect(declared).toMatch(/export \{[^}]*\bcreateMemoryBroker\b/);
    // It loads the client's chunk (the same TabwireError as the app's), never the engine: no socket, no IndexedDB.
    const files = [...closure('testing.js')];
    expect(files.some((file) => file.startsWith('client-'))).toBe(true);
    expect(files.join(' ')).not.toMatch(/browser-broker|leader|local/);
    const code = files.map((file) => readFileSync(resolve(repo, 'dist', file), 'utf8')).join('\n');
    expect(code).not.toMatch(/new WebSocket|indexedDB\.open/);
  });

  it.each([
    ['graphql-ws', 'graphqlWsProtocol', /from ["']graphql-ws\/client["']/],
    ['socket-io', 'socketIoProtocol', undefined],
  ] as const)("offers the %s preset for an app's worker entry, apart from the client and the worker", (entry, factory, external) => {
    expect(pkg.exports[`./${entry}`]).toEqual({ types: `./dist/${entry}.d.ts`, default: `./dist/${entry}.js` });
    expect(readFileSync(resolve(repo, `dist/${entry}.d.ts`), 'utf8')).toMatch(new RegExp(`export \\{[^}]*\\b${factory}\\b`));
    const files = [...closure(`${entry}.js`)];
    const code = files.map((file) => readFileSync(resolve(repo, 'dist', file), 'utf8')).join('\n');
    // A dialect is frames in and out: no client, no socket, no IndexedDB, and graphql-ws is the app's own copy.
    expect(files.join(' ')).not.toMatch(/client-|browser-broker|worker/);
    expect(code).not.toMatch(/new WebSocket|indexedDB\.open|new SharedWorker/);
    if (external) expect(code).toMatch(external);
  });

  it("marks only the React entries as client modules ('use client' first)", () => {
    // Next.js's App Router needs the directive as the file's first statement to import the hooks from a server component.
    const directive = /^\s*['"]use client['"];?/;
    expect(readFileSync(resolve(repo, 'dist/react.js'), 'utf8')).toMatch(directive);
    expect(readFileSync(resolve(repo, 'dist/purposepath-react.js'), 'utf8')).toMatch(directive);
    expect(readFileSync(resolve(repo, 'dist/index.js'), 'utf8')).not.toMatch(directive);
  });
});

function readdirText(dir: string): string {
  return readdirSync(resolve(repo, dir))
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(resolve(repo, dir, name), 'utf8'))
    .join('\n');
}

/** The files an entry of dist/ loads statically: itself and the chunks it imports. */
function closure(file: string, seen = new Set<string>()): Set<string> {
  if (seen.has(file)) return seen;
  seen.add(file);
  for (const match of readFileSync(resolve(repo, 'dist', file), 'utf8').matchAll(/from "\.\/([^"]+)"/g)) closure(match[1]!, seen);
  return seen;
}
