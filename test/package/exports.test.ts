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
    expect(declarations.sort()).toEqual(['index.d.ts', 'react.d.ts', 'worker.d.ts']);
    const index = readFileSync(resolve(repo, 'dist/index.d.ts'), 'utf8');
    // Internals: the RPC, the hosts, the broker, the link's messages.
    for (const internal of ['RpcClient', 'createRpcClient', 'Host', 'AttachRequest', 'StreamMessage', 'BrokerConfig', 'resolveConfig', 'sanitizeBrokerConfig']) {
      expect(index, internal).not.toMatch(new RegExp(`\\b${internal}\\b`));
    }
    // The React entry shares the main entry's declarations (so an augmented TabwireEvents reaches the hooks).
    const react = readFileSync(resolve(repo, 'dist/react.d.ts'), 'utf8');
    expect(react).toMatch(/from '\.\/index\.js'/);
    expect(react).not.toMatch(/interface TabwireEvents/);
  });

  it("marks only the React entry as a client module ('use client' first)", () => {
    // Next.js's App Router needs the directive as the file's first statement to import the hooks from a server component.
    const directive = /^\s*['"]use client['"];?/;
    expect(readFileSync(resolve(repo, 'dist/react.js'), 'utf8')).toMatch(directive);
    expect(readFileSync(resolve(repo, 'dist/index.js'), 'utf8')).not.toMatch(directive);
  });
});

function readdirText(dir: string): string {
  return readdirSync(resolve(repo, dir))
    .filter((name) => name.endsWith('.js'))
    .map((name) => readFileSync(resolve(repo, dir, name), 'utf8'))
    .join('\n');
}
