import { completePayload } from '../../demo/server/catalogue.ts';
import { allInState, eventually, expect, received, test } from './fixtures.ts';

test('bad frames are dropped and counted while valid events keep flowing to every tab', async ({ tabs, backend }) => {
  const pages = await tabs.open(4, { options: JSON.stringify({ maxFrameBytes: 8192 }) });
  await allInState(pages, 'open');
  const at = () => new Date().toISOString();
  const valid = (type: string, data: Record<string, unknown> = {}) => completePayload(type, { tenantId: 'tenant-123', userId: 'u' }, data, at());
  backend.emit('tenant-123', 'goal.created', { title: 'first' });
  backend.push('{"type": "goal.created", "data": ');
  backend.push(new Uint8Array([1, 2, 3]));
  backend.push({ type: 'goal.created', timestamp: 'tomorrow', data: valid('goal.created') });
  backend.push({ type: 'goal.created', timestamp: at(), data: [] });
  backend.push({ type: 'goal.created', timestamp: at(), data: valid('goal.created', { blob: 'x'.repeat(10_000) }) });
  backend.push({ type: 'goal.created', timestamp: at(), data: valid('goal.created', { tenantId: 'tenant-999', title: 'theirs' }) });
  backend.push({ type: 'goal.created', timestamp: at(), tenantId: 'tenant-999', data: { ...valid('goal.created'), tenantId: undefined } });
  backend.push({ type: 'action.reassigned', timestamp: at(), data: valid('action.reassigned', { newAssignee: 12 }) });
  backend.push({ type: 'kpi.reading_created', timestamp: at(), data: valid('measure.reading.created', { value: 7 }) });
  // Required fields a backend left out or sent as null: reported, still relayed (the id and tenant are there).
  backend.push({ type: 'action.created', timestamp: at(), data: valid('action.created', { title: 'sparse', description: undefined, dueDate: null }) });
  backend.push({ type: 'chat.message', timestamp: at(), data: { text: 'future type', tenantId: 'tenant-123' } });
  backend.emit('tenant-123', 'goal.created', { title: 'last' });
  await eventually(async () =>
    expect(await received(pages)).toEqual(Array(4).fill(['goal.created', 'measure.reading.created', 'action.created', 'chat.message', 'goal.created'])),
  );
  const stats = await pages[0]!.evaluate(() => window.harness.broker!.stats());
  // `invalid` counts every payload reported, the relayed sparse one too.
  expect(stats.dropped).toMatchObject({ malformed: 4, oversized: 1, invalid: 2, tenant: 2 });
  expect(stats.state).toBe('open');
  expect(backend.stats().connections).toBe(1);
  const codes = await pages[3]!.evaluate(() => window.harness.errors.map((e) => e.code));
  expect(codes.filter((c) => c === 'MALFORMED_FRAME')).toHaveLength(4);
  expect(codes).toEqual(expect.arrayContaining(['OVERSIZED_FRAME', 'INVALID_PAYLOAD', 'TENANT_MISMATCH']));
  const titles = await pages[1]!.evaluate(() => window.harness.events.map((e) => e.data.title ?? e.data.value ?? e.data.text));
  expect(titles).toEqual(['first', 7, 'sparse', 'future type', 'last']);
});
