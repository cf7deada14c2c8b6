/**
 * What a 1.0 keeps out of the API: the reconnect options' old top-level names, the exports only
 * tests used, and modules that pass on what another module defines (a name has one home: the
 * module that defines it, or an entry).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { resolveConfig } from '../../src/tab/options.ts';

const repo = resolve(import.meta.dirname, '../..');
const base = { url: 'wss://api.example.app/realtime', getToken: () => 't' };

afterEach(() => {
  vi.restoreAllMocks();
});

describe('the reconnect options', () => {
  it('read only the reconnect group: the removed top-level names are not options, and nothing warns', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    expect(resolveConfig({ ...base, minDelayMs: 200, maxDelayMs: 900, retryDelaysMs: [5] } as never)).toEqual(resolveConfig(base));
    expect(resolveConfig({ ...base, retryDelayMs: () => 7 } as never)).toEqual(resolveConfig(base));
    expect(warn).not.toHaveBeenCalled();
  });
});

describe('exports', () => {
  it.each([
    ['src/broker/protocol/wire.ts', 'defaultWireProtocol'],
    ['src/broker/protocol/payloads.ts', 'payloadProblem'],
    ['src/broker/protocol/payloads.ts', 'isKnownType'],
    ['src/broker/core/keepalive.ts', 'defaultKeepAliveMs'],
    ['src/broker/core/log-policy.ts', 'defaultLogPolicy'],
    ['src/broker/core/connection.ts', 'defaultConnectionConfig'],
    ['src/broker/core/connection.ts', 'transitionTable'],
  ])('%s has no export %s that only tests used', async (file, name) => {
    const module = (await import(resolve(repo, file))) as Record<string, unknown>;
    expect(Object.keys(module)).not.toContain(name);
  });

  it('gives every name one home: no module passes on what it imports, but the entries and the worker kit', () => {
    const entries = new Set(['src/index.ts', 'src/react.ts', 'src/purposepath-react.ts', 'src/testing.ts', 'src/graphql-ws.ts', 'src/socket-io.ts', 'src/broker/protocol/kit.ts', 'worker/broker.worker.ts']);
    const reexport = /^export (?:type )?(?:\*|\{[^}]*\})(?: from ['"][^'"]+['"])?;|^export type \w+ = [A-Z]\w*;/gm;
    const found = [...sources('src'), ...sources('worker')]
      .filter((file) => !entries.has(file))
      .flatMap((file) => [...readFileSync(join(repo, file), 'utf8').matchAll(reexport)].map((match) => `${file}: ${match[0]}`));
    expect(found).toEqual([]);
  });
});

function sources(dir: string): string[] {
  return readdirSync(join(repo, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(repo, path)).isDirectory() ? sources(path) : name.endsWith('.ts') ? [relative(repo, join(repo, path))] : [];
  });
}
