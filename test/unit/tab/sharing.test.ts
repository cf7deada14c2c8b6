import { afterEach, describe, expect, it, vi } from 'vitest';
import { pickSharing, warnIfInsecure } from '../../../src/tab/sharing.ts';
import type { TabEnvironment } from '../../../src/tab/environment.ts';
import type { TabwireErrorData } from '../../../src/link/errors.ts';
import { FakeClock } from '../../support/fake-clock.ts';

afterEach(() => {
  vi.restoreAllMocks();
});

describe('pickSharing', () => {
  const both = { worker: true, leader: true };
  const leaderOnly = { worker: false, leader: true };
  const neither = { worker: false, leader: false };

  it.each([
    [undefined, both, 'worker'],
    ['auto', both, 'worker'],
    ['auto', leaderOnly, 'leader'],
    ['auto', neither, 'none'],
    [undefined, neither, 'none'],
    ['worker', both, 'worker'],
    ['leader', both, 'leader'],
    ['leader', leaderOnly, 'leader'],
    ['none', both, 'none'],
    ['none', neither, 'none'],
  ] as const)('sharing %s with %o: %s', (wanted, available, picked) => {
    expect(pickSharing(wanted, available)).toBe(picked);
  });

  it.each([
    ['worker', leaderOnly],
    ['worker', neither],
    ['leader', neither],
  ] as const)('refuses %s where it is not available (%o)', (wanted, available) => {
    expect(() => pickSharing(wanted, available)).toThrow(expect.objectContaining({ code: 'INVALID_ARGUMENT', message: `sharing '${wanted}' is not available in this browser` }));
  });
});

describe('the insecure-context warning', () => {
  const env = (locks: boolean, clock: FakeClock) => ({ clock, locks: locks ? { request: async () => undefined } : undefined }) as unknown as TabEnvironment;

  it('tells onError after connectBroker returned, and the console once per page', () => {
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    const clock = new FakeClock();
    const told: TabwireErrorData[] = [];
    warnIfInsecure(env(false, clock), 'auto', (error) => told.push(error));
    warnIfInsecure(env(false, clock), undefined, (error) => told.push(error));
    expect(told).toEqual([]);
    clock.advance(0);
    expect(told.map((error) => error.code)).toEqual(['WORKER_UNAVAILABLE', 'WORKER_UNAVAILABLE']);
    expect(warn.mock.calls).toEqual([['tabwire: no Web Locks here (not a secure context): this tab keeps a connection of its own']]);
  });

  it('says nothing with Web Locks, or when the app chose how to share', () => {
    const clock = new FakeClock();
    const told: TabwireErrorData[] = [];
    warnIfInsecure(env(true, clock), 'auto', (error) => told.push(error));
    warnIfInsecure(env(false, clock), 'none', (error) => told.push(error));
    clock.advance(0);
    expect(told).toEqual([]);
  });
});
