/**
 * The `logger` option: every tab's logger reads the broker's lines — connection changes, gaps,
 * dropped frames, errors — as they reach the tab over its stream, at the level `logLevel` picks
 * (`warn` by default). Never a token.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type World, createWorld, until } from '../support/broker-world.ts';
import type { TabOptions } from '../support/tab-harness.ts';

let world: World;
afterEach(async () => {
  await world?.dispose();
});

type Level = 'debug' | 'info' | 'warn' | 'error';

/** A logger that keeps `level: message` lines, and the detail of each. */
function recorder() {
  const lines: string[] = [];
  const details: unknown[] = [];
  const at = (level: Level) => (message: string, detail?: object) => {
    lines.push(`${level}: ${message}`);
    details.push(detail);
  };
  return { lines, details, logger: { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } };
}

async function openTab(options: TabOptions) {
  const tab = await world.tab(options);
  await until(() => expect(tab.status).toBe('open'));
  return tab;
}

describe('the logger option', () => {
  it('tells the connection opening and how the tab shares it, at info', async () => {
    world = await createWorld();
    const { lines, logger } = recorder();
    await openTab({ logger, logLevel: 'info' });
    await until(() => expect(lines).toContain('info: tabwire: connection open (auth-accepted)'));
    expect(lines).toContain('info: tabwire: attached to a broker (worker)');
    expect(lines.filter((line) => line.startsWith('debug:'))).toEqual([]);
  });

  it('gives every level from debug up with logLevel debug', async () => {
    world = await createWorld();
    const { lines, logger } = recorder();
    await openTab({ logger, logLevel: 'debug' });
    await until(() => expect(lines).toContain('info: tabwire: connection open (auth-accepted)'));
    expect(lines).toContain('debug: tabwire: connection authenticating (socket-opened)');
  });

  it('by default (warn) tells every tab of a dropped frame, and nothing of a healthy connection', async () => {
    world = await createWorld();
    const first = recorder();
    const second = recorder();
    await openTab({ logger: first.logger });
    await openTab({ logger: second.logger });
    world.backend.push('{not json');
    for (const { lines } of [first, second]) {
      await until(() => expect(lines).toEqual([expect.stringMatching(/^warn: tabwire: MALFORMED_FRAME: /)]));
    }
    expect(first.details[0]).toMatchObject({ name: 'TabwireError', code: 'MALFORMED_FRAME' });
  });

  it('warns of a lost connection and of a gap it could not replay', async () => {
    world = await createWorld();
    const { lines, logger } = recorder();
    const tab = await openTab({ logger });
    world.backend.emit('tenant-123', 'goal.created', { goalId: 'g1' });
    await until(() => expect(tab.types()).toEqual(['goal.created']));
    world.backend.drop();
    await until(() => expect(tab.resyncs).toHaveLength(1));
    expect(lines).toContain('warn: tabwire: connection backoff (socket-closed)');
    expect(lines).toContainEqual(expect.stringMatching(/^warn: tabwire: missed events since .+ \(reconnect\): not all replayed, refetch$/));
  });

  it('says nothing with logLevel silent, and refuses a level it does not know', async () => {
    world = await createWorld();
    const { lines, logger } = recorder();
    await openTab({ logger, logLevel: 'silent' });
    world.backend.push('{not json');
    world.backend.drop();
    await until(() => expect(world.backend.stats().handshakes).toBe(2));
    expect(lines).toEqual([]);
    expect(() => world.startTab({ logger, logLevel: 'loud' as never })).toThrowError("logLevel must be 'debug', 'info', 'warn', 'error' or 'silent'");
  });

  it('never writes a token', async () => {
    world = await createWorld();
    const session = world.backend.login();
    const { lines, details, logger } = recorder();
    const tab = await openTab({ logger, logLevel: 'debug', token: () => session.accessToken });
    world.backend.drop();
    await until(() => expect(world.backend.stats().handshakes).toBe(2));
    await until(() => expect(tab.status).toBe('open'));
    expect(lines.length).toBeGreaterThan(3);
    expect(JSON.stringify([lines, details])).not.toContain(session.accessToken);
  });
});
