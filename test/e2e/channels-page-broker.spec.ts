/**
 * A channel dialect in code where no SharedWorker runs: the GraphQL preset given as `pageProtocol`
 * (demo/harness.ts `connectGraphqlInPage`, the options of demo/graphql.worker.ts) to a leader tab's
 * broker and to a broker of each tab's own, in Chromium against the real graphql-ws server
 * (test/support/graphql-server.ts), started per test and disposed.
 */
import type { Page } from '@playwright/test';
import { disposeGraphqlServers, type GraphqlServer, startGraphqlServer } from '../support/graphql-server.ts';
import { eventually, expect, test } from './fixtures.ts';

const ticks = 'subscription Ticks($channel: String!) { ticks(channel: $channel) }';
const hello = 'query Hello($name: String) { hello(name: $name) }';

interface Seen {
  messages: unknown[];
  resyncs: unknown[];
  errors: Array<{ code: string; serverCode?: string }>;
}

let server: GraphqlServer;
test.beforeEach(async () => {
  server = await startGraphqlServer();
});
test.afterEach(async () => {
  await disposeGraphqlServers();
});

async function pageBrokerTabs(tabs: { open(count: number, query?: Record<string, string>): Promise<Page[]> }, count: number, sharing: 'leader' | 'none'): Promise<Page[]> {
  const pages = await tabs.open(count, { connect: '0' });
  for (const page of pages) await page.evaluate(([url, sharing]) => window.harness.connectGraphqlInPage(url, sharing), [server.url, sharing] as const);
  return pages;
}

/** The tab holds the ticks of `channel`, recording what it is told. */
async function holdTicks(page: Page, channel: string): Promise<void> {
  await page.evaluate(
    ([channel, query]) => {
      const w = window as unknown as { gql?: Record<string, Seen> };
      const seen: Seen = { messages: [], resyncs: [], errors: [] };
      (w.gql ??= {})[channel] = seen;
      const handle = window.harness.broker!.channel('graphql', { query, variables: { channel } });
      handle.on((message) => seen.messages.push(message));
      handle.onResync((signal) => seen.resyncs.push(signal));
      handle.onError((error) => seen.errors.push({ code: error.code, ...(error.serverCode ? { serverCode: error.serverCode } : {}) }));
    },
    [channel, ticks] as const,
  );
}

const seen = (page: Page, channel: string): Promise<Seen> => page.evaluate((channel) => (window as unknown as { gql: Record<string, Seen> }).gql[channel]!, channel);
const tickTexts = (s: Seen) => s.messages.map((m) => (m as { data: { ticks: string } }).data.ticks);
const ask = (page: Page, name: string) => page.evaluate(([query, name]) => window.harness.broker!.request({ query, variables: { name } }), [hello, name] as const);
const loads = (page: Page) => page.evaluate(() => window.harness.pageProtocolLoads);

async function leaderOf(pages: Page[]): Promise<Page> {
  const leads = await Promise.all(pages.map((page) => page.evaluate(() => window.harness.leads())));
  expect(leads.filter(Boolean)).toHaveLength(1);
  return pages[leads.indexOf(true)]!;
}

test("sharing 'leader', three tabs: one socket and one subscription per operation, request() answered; the leader closes, a follower takes over with its own dialect", async ({ tabs }) => {
  const pages = await pageBrokerTabs(tabs, 3, 'leader');
  for (const page of pages) expect(await page.evaluate(() => window.harness.broker!.sharing)).toBe('leader');
  const leader = await leaderOf(pages);
  const [first, second] = pages.filter((page) => page !== leader) as [Page, Page];
  // Only the page that runs the broker loads the dialect.
  expect(await Promise.all([leader, first, second].map(loads))).toEqual([1, 0, 0]);
  await holdTicks(first, 'news');
  await holdTicks(second, 'news');
  await holdTicks(leader, 'sport');
  await eventually(async () => expect([server.listening('news'), server.listening('sport')]).toEqual([1, 1]));
  expect(server.counts).toMatchObject({ sockets: 1, handshakes: 1 });
  expect(server.operations(ticks, { channel: 'news' }).started).toBe(1);
  server.publish('news', 'n1');
  server.publish('sport', 's1');
  await eventually(async () => {
    const got = await Promise.all([seen(first, 'news'), seen(second, 'news'), seen(leader, 'sport')]);
    expect(got.map(tickTexts)).toEqual([['n1'], ['n1'], ['s1']]);
  });
  expect(await ask(first, 'follower')).toEqual({ data: { hello: 'hello follower' } });

  await leader.close();
  await eventually(async () => void (await leaderOf([first, second])));
  await eventually(async () => expect(server.operations(ticks, { channel: 'news' }).started).toBe(2));
  await eventually(async () => expect(server.listening('news')).toBe(1));
  const newLeader = await leaderOf([first, second]);
  expect(await loads(newLeader)).toBe(1);
  expect(await loads(newLeader === first ? second : first)).toBe(0);
  // Nobody holds 'sport' any more: the new broker does not subscribe it.
  expect(server.operations(ticks, { channel: 'sport' }).started).toBe(1);
  expect(server.counts).toMatchObject({ sockets: 2, handshakes: 2 });
  server.publish('news', 'after');
  await eventually(async () => expect([tickTexts(await seen(first, 'news')), tickTexts(await seen(second, 'news'))]).toEqual([['n1', 'after'], ['n1', 'after']]));
  // graphql-ws has no positions: each remaining holder is told once that messages may be missing. A tab
  // that re-attached after the new socket subscribed the channel is told at the channel's first
  // answer, which graphql-ws gives only as a result: hence after 'after', not before.
  await eventually(async () => expect([(await seen(first, 'news')).resyncs, (await seen(second, 'news')).resyncs]).toEqual([[{ complete: false }], [{ complete: false }]]));
  expect(await ask(second, 'still')).toEqual({ data: { hello: 'hello still' } });
  for (const page of [first, second]) expect((await seen(page, 'news')).errors).toEqual([]);
});

test("sharing 'none', two tabs: a socket each, each with its own subscription and answers", async ({ tabs }) => {
  const pages = await pageBrokerTabs(tabs, 2, 'none');
  for (const page of pages) expect(await page.evaluate(() => window.harness.broker!.sharing)).toBe('none');
  expect(await Promise.all(pages.map(loads))).toEqual([1, 1]);
  for (const page of pages) await holdTicks(page, 'news');
  await eventually(async () => expect(server.listening('news')).toBe(2));
  expect(server.counts).toMatchObject({ sockets: 2, handshakes: 2 });
  expect(server.operations(ticks, { channel: 'news' }).started).toBe(2);
  server.publish('news', 'n1');
  await eventually(async () => expect(await Promise.all(pages.map(async (page) => tickTexts(await seen(page, 'news'))))).toEqual([['n1'], ['n1']]));
  expect(await Promise.all(pages.map((page, i) => ask(page, `tab ${i + 1}`)))).toEqual([{ data: { hello: 'hello tab 1' } }, { data: { hello: 'hello tab 2' } }]);
});
