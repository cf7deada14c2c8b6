/**
 * Channels in Chromium: three real tabs on one SharedWorker, whose entry drives a channel dialect
 * (demo/channels.worker.ts), share one socket and one server subscription; every tab gets the
 * channel's messages, and tabs leaving do not end it while one still holds it.
 */
import { type ChannelServer, startChannelServer } from '../support/channel-server.ts';
import { eventually, expect, test } from './fixtures.ts';

let server: ChannelServer;
test.beforeEach(async () => {
  server = await startChannelServer();
});
test.afterEach(async () => {
  await server.close();
});

test('three tabs share one socket and one server subscription', async ({ tabs }) => {
  const pages = await tabs.open(3, { connect: '0' });
  for (const page of pages) await page.evaluate((url) => window.harness.connectChannel(url, 'room', { id: 1 }), server.url);
  expect(server.connections()).toBe(1);
  expect(server.count('sub')).toBe(1);
  server.publish('room{"id":1}', 'hello');
  await eventually(async () => {
    const got = await Promise.all(pages.map((page) => page.evaluate(() => window.harness.channelMessages)));
    expect(got).toEqual([['hello'], ['hello'], ['hello']]);
  });
  // Two tabs leave: the one left still holds the channel, and nothing was unsubscribed.
  await pages[0]!.close();
  await pages[1]!.close();
  server.publish('room{"id":1}', 'again');
  await eventually(async () => expect(await pages[2]!.evaluate(() => window.harness.channelMessages)).toEqual(['hello', 'again']));
  expect([server.connections(), server.count('sub'), server.count('unsub'), server.subscribed().length]).toEqual([1, 1, 0, 1]);
});
