/**
 * The folder tree is the architecture, and its import rules hold:
 *  - link/ (what tab and broker agree on) imports only link/;
 *  - broker/core/ (pure reducers) imports only core/ and link/, and touches no I/O, timer or clock;
 *  - broker/ imports broker/ and link/, never tab/;
 *  - tab/ imports tab/ and link/; only the hosts (tab/hosts/) reach the broker, and the
 *    rest of tab/ loads the hosts that do lazily (dynamic import), so the client entry stays small;
 *  - purposepath/ (the PurposePath hooks) imports purposepath/, the core React bindings
 *    (tab/react.ts) and link/: it is built on the public hooks, never on the broker;
 *  - testing/ (`tabwire/testing`'s memory broker) imports testing/, tab/, link/ and, of the
 *    broker, only its in-memory log;
 *  - worker/ (the SharedWorker entry) imports broker/ and link/.
 * docs/architecture.md draws the same picture.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');

function sources(dir: string): string[] {
  return readdirSync(join(repo, dir)).flatMap((name) => {
    const path = join(dir, name);
    return statSync(join(repo, path)).isDirectory() ? sources(path) : /\.tsx?$/.test(name) ? [path] : [];
  });
}

interface Import {
  from: string;
  to: string;
  lazy: boolean;
  typeOnly: boolean;
}

function importsOf(file: string): Import[] {
  const text = readFileSync(join(repo, file), 'utf8');
  const found: Import[] = [];
  const statics = /^\s*(import|export)\s+(type\s+)?[^'"]*?from\s+['"](\.{1,2}\/[^'"?]+)/gm;
  for (const match of text.matchAll(statics)) found.push({ from: file, to: target(file, match[3]!), lazy: false, typeOnly: Boolean(match[2]) });
  for (const match of text.matchAll(/import\(\s*['"](\.{1,2}\/[^'"?]+)['"]\s*\)/g)) found.push({ from: file, to: target(file, match[1]!), lazy: true, typeOnly: false });
  for (const match of text.matchAll(/new URL\(\s*['"](\.{1,2}\/[^'"?]+)['"]/g)) found.push({ from: file, to: target(file, match[1]!), lazy: true, typeOnly: false });
  return found;
}

const target = (file: string, spec: string) => relative(repo, resolve(repo, dirname(file), spec));
const within = (path: string, ...dirs: string[]) => dirs.some((dir) => path.startsWith(`${dir}/`));

function broken(edge: Import): string | undefined {
  const { from, to } = edge;
  if (within(from, 'src/link')) return within(to, 'src/link') ? undefined : 'link/ imports only link/';
  if (within(from, 'src/broker/core')) return within(to, 'src/broker/core', 'src/link') ? undefined : 'core/ imports only core/ and link/';
  if (within(from, 'src/broker')) return within(to, 'src/broker', 'src/link') ? undefined : 'broker/ never imports tab/';
  if (within(from, 'src/tab/hosts')) return within(to, 'src/tab', 'src/broker', 'src/link') ? undefined : 'hosts import tab/, broker/ and link/';
  if (within(from, 'src/tab')) {
    if (within(to, 'src/broker') && !edge.typeOnly) return 'tab/ reaches the broker only through its hosts';
    if (within(to, 'src/tab/hosts') && !edge.lazy && !edge.typeOnly && !to.endsWith('hosts/host.ts') && !to.endsWith('hosts/worker.ts')) {
      return 'tab/ loads the hosts that carry the broker lazily';
    }
    return within(to, 'src/tab', 'src/link', 'worker') ? undefined : 'tab/ imports tab/ and link/';
  }
  if (within(from, 'src/purposepath')) {
    const react = to === 'src/tab/react.ts' || to === 'src/tab/react-latest.ts';
    return within(to, 'src/purposepath', 'src/link') || react ? undefined : 'purposepath/ imports purposepath/, the React bindings of tab/ and link/';
  }
  if (within(from, 'src/testing')) {
    return within(to, 'src/testing', 'src/tab', 'src/link') || to === 'src/broker/memory-store.ts' ? undefined : "testing/ imports testing/, tab/, link/ and the broker's in-memory log";
  }
  if (within(from, 'worker')) return within(to, 'src/broker', 'src/link') ? undefined : 'worker/ imports broker/ and link/';
  return undefined;
}

describe('layout', () => {
  const files = [...sources('src'), ...sources('worker')];

  it('keeps every import inside the rules of the architecture', () => {
    const violations = files.flatMap(importsOf).flatMap((edge) => {
      const rule = broken(edge);
      return rule ? [`${edge.from} → ${edge.to}: ${rule}`] : [];
    });
    expect(violations).toEqual([]);
  });

  it('keeps the pure core free of I/O, timers and clocks', () => {
    const io = /\b(WebSocket|indexedDB|IDB\w+|fetch|setTimeout|setInterval|Date\.now|performance\.now|navigator|BroadcastChannel|postMessage)\b/;
    const offending = sources('src/broker/core').flatMap((file) =>
      readFileSync(join(repo, file), 'utf8')
        .split('\n')
        .filter((line) => !/^\s*(\*|\/\/|\/\*)/.test(line) && io.test(line))
        .map((line) => `${file}: ${line.trim()}`),
    );
    expect(offending).toEqual([]);
  });

  it('has no file left where the old layout put it', () => {
    expect(sources('worker')).toEqual(['worker/broker.worker.ts']);
    expect(readdirSync(join(repo, 'src')).sort()).toEqual(['broker', 'graphql-ws.ts', 'index.ts', 'link', 'purposepath', 'purposepath-react.ts', 'react.ts', 'socket-io.ts', 'tab', 'testing', 'testing.ts']);
  });
});
