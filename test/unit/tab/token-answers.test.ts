import { describe, expect, it } from 'vitest';
import { answerTokenAsk } from '../../../src/tab/token-answers.ts';
import type { TabAnswer } from '../../../src/link/messages.ts';
import type { Endpoint } from '../../../src/link/rpc.ts';
import type { ConnectOptions } from '../../../src/tab/options.ts';

/** Runs the ask and returns the one answer posted on the stream. */
async function answer(fn: 'getToken' | 'refreshToken', app: Partial<ConnectOptions>): Promise<TabAnswer[]> {
  const posted: TabAnswer[] = [];
  const stream = { postMessage: (message: TabAnswer) => posted.push(message) } as unknown as Endpoint;
  await answerTokenAsk(stream, 7, fn, { url: 'wss://x/realtime', getToken: () => undefined, ...app } as ConnectOptions);
  return posted;
}

describe('answers to the broker asking for a token', () => {
  it('answers with the token getToken gives, sync or async', async () => {
    expect(await answer('getToken', { getToken: () => 't1' })).toEqual([{ k: 'ans', id: 7, ok: true, token: 't1' }]);
    expect(await answer('getToken', { getToken: async () => 't2' })).toEqual([{ k: 'ans', id: 7, ok: true, token: 't2' }]);
  });

  it('calls the app function with the options as `this`', async () => {
    const app = {
      secret: 'from this',
      getToken(this: { secret: string }) {
        return this.secret;
      },
    };
    expect(await answer('getToken', app as unknown as Partial<ConnectOptions>)).toMatchObject([{ ok: true, token: 'from this' }]);
  });

  it.each([null, undefined, ''])('answers "cannot" (n: 1) when getToken gives no token (%o)', async (none) => {
    expect(await answer('getToken', { getToken: () => none })).toEqual([
      { k: 'ans', id: 7, ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE', message: 'this tab has no token' } },
    ]);
  });

  it('answers "cannot" (n: 1) when this tab has no refreshToken: another tab may', async () => {
    expect(await answer('refreshToken', {})).toEqual([
      { k: 'ans', id: 7, ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE', message: 'this tab has no refreshToken' } },
    ]);
  });

  it('answers ok after a refresh, with the token when refreshToken gives one', async () => {
    expect(await answer('refreshToken', { refreshToken: async () => undefined })).toEqual([{ k: 'ans', id: 7, ok: true }]);
    expect(await answer('refreshToken', { refreshToken: async () => 'fresh' })).toEqual([{ k: 'ans', id: 7, ok: true, token: 'fresh' }]);
  });

  it.each(['getToken', 'refreshToken'] as const)('refuses (no n) when %s throws or rejects, naming only the error class', async (fn) => {
    const secret = 'Bearer s3cr3t';
    for (const run of [
      () => {
        throw new RangeError(secret);
      },
      () => Promise.reject(new TypeError(secret)),
      () => Promise.reject(secret),
    ]) {
      const [reply] = await answer(fn, { [fn]: run });
      expect(reply).toMatchObject({ k: 'ans', id: 7, ok: false, e: { code: 'TOKEN_UNAVAILABLE' } });
      expect(reply).not.toHaveProperty('n');
      expect(JSON.stringify(reply)).not.toContain('s3cr3t');
    }
    const [named] = await answer(fn, { [fn]: () => Promise.reject(new RangeError(secret)) });
    expect(named).toMatchObject({ e: { message: `${fn} failed (RangeError)` } });
    const [unnamed] = await answer(fn, { [fn]: () => Promise.reject(secret) });
    expect(unnamed).toMatchObject({ e: { message: `${fn} failed (error)` } });
  });
});
