/**
 * docs/protocols.md "A channel protocol in code: a Centrifugo-like example" shows a worker entry an
 * app can copy; the tests run the same code from demo/. Each file's lines between its `docs:start`
 * and `docs:end` markers must be a code block of that section, the import from the repository's
 * worker entry written as an app writes it (`tabwire/worker`), so the docs cannot drift from what
 * is tested.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const repo = resolve(import.meta.dirname, '../..');
const read = (path: string) => readFileSync(resolve(repo, path), 'utf8');

/** The text of a file between its markers, as the docs show it. */
function shown(path: string): string {
  const text = read(path);
  const start = text.indexOf('\n', text.indexOf('// docs:start')) + 1;
  const end = text.indexOf('// docs:end');
  expect(start).toBeGreaterThan(0);
  expect(end).toBeGreaterThan(start);
  return text.slice(start, end).replaceAll("'../worker/broker.worker.ts'", "'tabwire/worker'");
}

/** The `ts` code blocks of one section of docs/protocols.md. */
function blocks(heading: string): string[] {
  const docs = read('docs/protocols.md');
  const from = docs.indexOf(`\n## ${heading}\n`);
  expect(from).toBeGreaterThan(0);
  const next = docs.indexOf('\n## ', from + 1);
  const section = docs.slice(from, next < 0 ? undefined : next);
  return [...section.matchAll(/```ts\n([\s\S]*?)```/g)].map((match) => match[1]!);
}

describe('the Centrifugo-like example of docs/protocols.md', () => {
  const section = blocks('A channel protocol in code: a Centrifugo-like example');

  it.each(['demo/centrifugo-protocol.ts', 'demo/centrifugo.worker.ts'])('shows %s exactly', (path) => {
    const code = shown(path);
    expect(code).toContain('tabwire/worker');
    expect(section).toContain(code);
  });
});
