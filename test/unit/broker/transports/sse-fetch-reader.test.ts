import { describe, expect, it } from 'vitest';
import { fetchReader, type ReaderCallbacks, type StreamRequest } from '../../../../src/broker/transports/sse-readers.ts';

function recorder(): { init: RequestInit[]; fetch: typeof fetch } {
  const init: RequestInit[] = [];
  const fake = (async (_url: string, given: RequestInit) => {
    init.push(given);
    return new Response('', { status: 204 });
  }) as unknown as typeof fetch;
  return { init, fetch: fake };
}

const callbacks = (ended: (reason: string) => void): ReaderCallbacks => ({
  opened() {},
  refused: (status) => ended(`refused ${status}`),
  message() {},
  retry() {},
  alive() {},
  ended,
});

const request = (headers: Record<string, string>): StreamRequest => ({ url: 'https://api.test/stream', method: 'GET', headers, credentials: 'same-origin' });

describe("the fetch reader's redirects", () => {
  it('refuses a redirect when the request carries a bearer token: the token goes only to the endpoint named', async () => {
    const { init, fetch } = recorder();
    await new Promise<string>((done) => fetchReader(fetch, 1000)(request({ Authorization: 'Bearer t0k3n' }), callbacks(done)));
    expect(init[0]!.redirect).toBe('error');
  });

  it('follows a redirect with cookie auth, as EventSource does', async () => {
    const { init, fetch } = recorder();
    await new Promise<string>((done) => fetchReader(fetch, 1000)(request({}), callbacks(done)));
    expect(init[0]!.redirect).toBe('follow');
  });
});
