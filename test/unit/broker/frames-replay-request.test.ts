/** The events-since request itself: the tenant header for any tenant id, and no redirect followed. */
import { type Server, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { ReplayError, type ReplayRequest, fetchMissedEvents } from '../../../src/broker/replay.ts';
import { systemClock } from '../../../src/broker/ports.ts';

const request = (overrides: Partial<ReplayRequest>): ReplayRequest => ({
  url: '/api/events',
  base: 'http://127.0.0.1:1',
  sinceIso: new Date(0).toISOString(),
  token: 'at_token',
  tenantId: undefined,
  timeoutMs: 2000,
  maxBodyBytes: 1024 * 1024,
  clock: systemClock,
  fetch,
  ...overrides,
});

describe('X-Tenant-Id', () => {
  /** A fetch that builds the request as a browser's would (Headers refuses what a header cannot carry), and answers []. */
  function recording() {
    const sent: Array<string | null> = [];
    const recordingFetch: typeof fetch = async (input, init) => {
      sent.push(new Request(input, init).headers.get('X-Tenant-Id'));
      return new Response('[]', { status: 200 });
    };
    return { sent, fetch: recordingFetch };
  }

  it.each([
    ['an ASCII id, as it is', 'tenant-123', 'tenant-123'],
    ['a Latin-1 id, as it is', 'café', 'café'],
    ['an id past Latin-1, percent-encoded UTF-8', '租户-1', '%E7%A7%9F%E6%88%B7-1'],
    ['an id with a line break, percent-encoded', 'a\nb', 'a%0Ab'],
    ['an id with a leading space (a header would lose it), percent-encoded', ' t', '%20t'],
  ])('sends %s', async (_, tenantId, header) => {
    const { sent, fetch: recordingFetch } = recording();
    await expect(fetchMissedEvents(request({ tenantId, fetch: recordingFetch }))).resolves.toMatchObject({ returned: 0 });
    expect(sent).toEqual([header]);
  });
});

describe('redirects', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve()));
    server = undefined;
  });

  it('are not followed: the replay fails, and the target is never asked', async () => {
    let targetAsked = 0;
    server = createServer((req, res) => {
      if (req.url?.startsWith('/api/events')) {
        res.writeHead(302, { Location: '/elsewhere' });
        return void res.end();
      }
      targetAsked++;
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify([{ type: 'goal.created', timestamp: new Date().toISOString(), data: { goalId: 'g' } }]));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', () => resolve()));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const answer = fetchMissedEvents(request({ base }));
    await expect(answer).rejects.toBeInstanceOf(ReplayError);
    expect(targetAsked).toBe(0);
  });
});

describe('entries without an instant', () => {
  it('are left out by the default reader too: paging and coverage compare instants', async () => {
    const answering: typeof fetch = async () =>
      new Response(JSON.stringify([{ type: 'auth.revoked' }, { type: 'goal.created', timestamp: new Date(5).toISOString(), data: {} }]), { status: 200 });
    const answer = await fetchMissedEvents(request({ fetch: answering }));
    expect(answer.events.map((e) => e.envelope.type)).toEqual(['goal.created']);
    expect(answer.returned).toBe(2);
  });
});
