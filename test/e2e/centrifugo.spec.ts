/**
 * The Centrifugo-like worker entry of docs/protocols.md (demo/centrifugo.worker.ts) in Chromium:
 * three real tabs on one SharedWorker share one socket and one subscribe; a dropped socket is
 * resubscribed with recover, offset and epoch, and what was published meanwhile reaches every tab
 * once, replayed, with one complete resync each.
 */
import { type CentrifugoLikeServer, startCentrifugoLikeServer } from '../support/centrifugo-like-server.ts';
import { eventually, expect, test } from './fixtures.ts';

let server: CentrifugoLikeServer;
test.beforeEach(async () => {
  server = await startCentrifugoLikeServer();
});
test.afterEach(async () => {
  await server.close();
});

test('three tabs on one socket recover a drop with nothing lost or doubled', async ({ tabs }) => {
  const pages = await tabs.open(3, { connect: '0' });
  for (const page of pages) await page.evaluate((url) => window.harness.connectCentrifugo(url, 'news'), server.url);
  expect([server.connections(), server.count('subscribe')]).toEqual([1, 1]);
  const seenBy = () => Promise.all(pages.map((page) => page.evaluate(() => ({ messages: window.harness.channelMessages, resyncs: window.harness.channelResyncs, metas: window.harness.channelMetas }))));
  server.publish('news', 'm1');
  server.publish('news', 'm2');
  await eventually(async () => expect((await seenBy()).map((seen) => seen.messages)).toEqual([['m1', 'm2'], ['m1', 'm2'], ['m1', 'm2']]));

  server.drop();
  server.publish('news', 'm3');
  server.publish('news', 'm4');
  await eventually(async () => expect((await seenBy()).map((seen) => seen.resyncs)).toEqual([[{ complete: true }], [{ complete: true }], [{ complete: true }]]));
  server.publish('news', 'm5');
  await eventually(async () => expect((await seenBy()).map((seen) => seen.messages)).toEqual(Array(3).fill(['m1', 'm2', 'm3', 'm4', 'm5'])));
  const seen = await seenBy();
  const epoch = server.epoch('news');
  for (const tab of seen) expect(tab.metas.slice(2)).toEqual([{ position: { offset: '3', epoch }, replayed: true }, { position: { offset: '4', epoch }, replayed: true }, { position: { offset: '5', epoch } }]);
  expect([server.connections(), server.count('subscribe')]).toEqual([2, 2]);
  expect(server.commands.filter((c) => c.method === 'subscribe').at(-1)!.params).toEqual({ channel: 'news', recover: true, offset: 2, epoch });
});
