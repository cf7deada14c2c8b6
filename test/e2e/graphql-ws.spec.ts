/**
 * GraphQL over WebSocket in Chromium: real tabs on one SharedWorker whose entry runs the preset
 * (demo/graphql.worker.ts, importing tabwire/graphql-ws's source) against the real graphql-ws
 * server (test/support/graphql-server.ts), started per test and disposed. The socket, the
 * handshake and each distinct operation are shared by the browser; each tab gets only its
 * channels' messages and its own answers.
 */
import type { Page } from '@playwright/test';
import { disposeGraphqlServers, type GraphqlServer, startGraphqlServer } from '../support/graphql-server.ts';
import { eventually, expect, test } from './fixtures.ts';

const ticks = 'subscription Ticks($channel: String!) { ticks(channel: $channel) }';
const goal = 'subscription Goal($id: ID!) { goal(id: $id) { id status } }';
const post = 'mutation Post($channel: String!, $text: String!) { post(channel: $channel, text: $text) }';
const hello = 'query Hello($name: String) { hello(name: $name) }';

interface Seen {
  messages: unknown[];
  resyncs: unknown[];
  errors: Array<{ code: string; serverCode?: string }>;
  state: string;
}

let server: GraphqlServer;
test.beforeEach(async () => {
  server = await startGraphqlServer();
});
test.afterEach(async () => {
  await disposeGraphqlServers();
});

/** Tabs connected through the GraphQL worker entry. */
async function graphqlTabs(tabs: { open(count: number, query?: Record<string, string>): Promise<Page[]> }, count: number): Promise<Page[]> {
  const pages = await tabs.open(count, { connect: '0' });
  for (const page of pages) await page.evaluate((url) => window.harness.connectGraphql(url), server.url);
  return pages;
}

/** The tab holds the GraphQL operation as channel `label`, recording what it is told. */
async function hold(page: Page, label: string, query: string, variables: Record<string, unknown>): Promise<void> {
  await page.evaluate(
    ([label, query, variables]) => {
      const w = window as unknown as { gql?: Record<string, Seen>; gqlHandles?: Record<string, { unsubscribe(): void }> };
      const seen: Seen = { messages: [], resyncs: [], errors: [], state: 'subscribing' };
      (w.gql ??= {})[label] = seen;
      const handle = window.harness.broker!.channel('graphql', { query, variables });
      (w.gqlHandles ??= {})[label] = handle;
      handle.on((message) => seen.messages.push(message));
      handle.onResync((signal) => seen.resyncs.push(signal));
      handle.onError((error) => seen.errors.push({ code: error.code, ...(error.serverCode ? { serverCode: error.serverCode } : {}) }));
      handle.onState((state) => (seen.state = state));
    },
    [label, query, variables] as const,
  );
}

const seen = (page: Page, label: string): Promise<Seen> => page.evaluate((label) => (window as unknown as { gql: Record<string, Seen> }).gql[label]!, label);
const tickTexts = (s: Seen) => s.messages.map((m) => (m as { data: { ticks: string } }).data.ticks);

test('three tabs share one socket and handshake, and one server subscription per distinct operation', async ({ tabs }) => {
  const pages = await graphqlTabs(tabs, 3);
  await hold(pages[0]!, 'news', ticks, { channel: 'news' });
  await hold(pages[1]!, 'news', ticks, { channel: 'news' });
  await hold(pages[2]!, 'sport', ticks, { channel: 'sport' });
  await eventually(async () => expect([server.listening('news'), server.listening('sport')]).toEqual([1, 1]));
  expect(server.counts).toMatchObject({ sockets: 1, handshakes: 1 });
  expect(server.operations(ticks, { channel: 'news' }).started).toBe(1);
  expect(server.operations(ticks, { channel: 'sport' }).started).toBe(1);
  server.publish('news', 'n1');
  server.publish('sport', 's1');
  await eventually(async () => {
    const got = await Promise.all([seen(pages[0]!, 'news'), seen(pages[1]!, 'news'), seen(pages[2]!, 'sport')]);
    expect(got.map(tickTexts)).toEqual([['n1'], ['n1'], ['s1']]);
  });
});

test('the last tab leaving a channel completes it on the server, after the linger', async ({ tabs }) => {
  const pages = await graphqlTabs(tabs, 2);
  await hold(pages[0]!, 'news', ticks, { channel: 'news' });
  await hold(pages[1]!, 'news', ticks, { channel: 'news' });
  await eventually(async () => expect(server.listening('news')).toBe(1));
  await pages[0]!.evaluate(() => (window as unknown as { gqlHandles: Record<string, { unsubscribe(): void }> }).gqlHandles.news!.unsubscribe());
  await pages[1]!.close();
  await eventually(async () => expect(server.operations(ticks, { channel: 'news' }).completed).toBe(1));
  expect(server.operations(ticks, { channel: 'news' }).started).toBe(1);
  expect(server.counts.sockets).toBe(1);
});

test('a dropped socket is replaced once, each subscription resubscribed once, the tabs told complete: false', async ({ tabs }) => {
  const pages = await graphqlTabs(tabs, 2);
  await hold(pages[0]!, 'news', ticks, { channel: 'news' });
  await hold(pages[1]!, 'sport', ticks, { channel: 'sport' });
  await eventually(async () => expect([server.listening('news'), server.listening('sport')]).toEqual([1, 1]));
  server.closeClients(1012, 'restarting');
  await eventually(async () => expect([server.listening('news'), server.listening('sport')]).toEqual([1, 1]));
  await eventually(async () => expect((await seen(pages[0]!, 'news')).resyncs).toEqual([{ complete: false }]));
  await eventually(async () => expect((await seen(pages[1]!, 'sport')).resyncs).toEqual([{ complete: false }]));
  expect(server.counts).toMatchObject({ sockets: 2, handshakes: 2 });
  expect([server.operations(ticks, { channel: 'news' }).started, server.operations(ticks, { channel: 'sport' }).started]).toEqual([2, 2]);
  server.publish('news', 'after');
  await eventually(async () => expect(tickTexts(await seen(pages[0]!, 'news'))).toEqual(['after']));
});

test("a query and a mutation sent with request() are answered to the asking tab, and a resolver's error reaches only its channel's tabs", async ({ tabs }) => {
  const pages = await graphqlTabs(tabs, 3);
  await hold(pages[0]!, 'goal', goal, { id: 'g1' });
  await hold(pages[1]!, 'goal', goal, { id: 'g1' });
  await hold(pages[2]!, 'news', ticks, { channel: 'news' });
  await eventually(async () => expect([server.listening('goal:g1'), server.listening('news')]).toEqual([1, 1]));
  const answer = await pages[2]!.evaluate((query) => window.harness.broker!.request({ query, variables: { name: 'tab 3' } }), hello);
  expect(answer).toEqual({ data: { hello: 'hello tab 3' } });
  const posted = await pages[0]!.evaluate((query) => window.harness.broker!.request({ query, variables: { channel: 'news', text: 'from tab 1' } }), post);
  expect(posted).toEqual({ data: { post: true } });
  await eventually(async () => expect(tickTexts(await seen(pages[2]!, 'news'))).toEqual(['from tab 1']));
  server.publish('goal:g1', 'boom');
  await eventually(async () => {
    const got = await Promise.all([seen(pages[0]!, 'goal'), seen(pages[1]!, 'goal'), seen(pages[2]!, 'news')]);
    // graphql-transport-ws answers no subscribe: the news channel is `subscribed` from its first result.
    expect(got.map((s) => [s.state, s.errors])).toEqual([
      ['error', [{ code: 'CHANNEL_ERROR', serverCode: 'GRAPHQL_ERROR' }]],
      ['error', [{ code: 'CHANNEL_ERROR', serverCode: 'GRAPHQL_ERROR' }]],
      ['subscribed', []],
    ]);
  });
  server.publish('news', 'still here');
  await eventually(async () => expect(tickTexts(await seen(pages[2]!, 'news'))).toEqual(['from tab 1', 'still here']));
});
