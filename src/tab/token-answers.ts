/**
 * The tab's answers to the broker's `ask` on the stream (rule 5: tabs are the only place
 * with the app's auth): it runs the app's `getToken` or `refreshToken` and posts a
 * `TabAnswer`. "Cannot" (`n: 1`: no such function, or no token) lets the broker ask
 * another tab; a function that threw is a refusal. No answer ever carries an app's
 * error message, which might quote a credential.
 */
import type { Endpoint } from '../link/rpc.ts';
import type { TabAnswer } from '../link/messages.ts';
import type { ConnectOptions, CookieConnectOptions } from './options.ts';

export type TokenFunction = 'getToken' | 'refreshToken';

/** Answers the broker's ask `id` on `stream` by running the app's `fn` from `options`. */
export async function answerTokenAsk(stream: Endpoint, id: number, fn: TokenFunction, options: ConnectOptions | CookieConnectOptions): Promise<void> {
  const reply = (message: TabAnswer) => stream.postMessage(message);
  // Not a refusal: this tab cannot, another one may.
  const cannot = (message: string) => reply({ k: 'ans', id, ok: false, n: 1, e: { code: 'TOKEN_UNAVAILABLE', message } });
  const run = fn === 'getToken' ? options.getToken : options.refreshToken;
  if (!run) return cannot('this tab has no refreshToken');
  let value: unknown;
  try {
    value = await run.call(options);
  } catch (error) {
    // Only the error's name: an app's message might quote a credential.
    return reply({ k: 'ans', id, ok: false, e: { code: 'TOKEN_UNAVAILABLE', message: `${fn} failed (${(error as Error)?.name ?? 'error'})` } });
  }
  const token = typeof value === 'string' && value ? value : undefined;
  if (fn === 'getToken' && !token) return cannot('this tab has no token');
  reply({ k: 'ans', id, ok: true, ...(token ? { token } : {}) });
}
