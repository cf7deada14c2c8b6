/**
 * Type tests of the public event typing, checked by `tsc` in `npm test`.
 * Every `@ts-expect-error` must stay an error: if a wrong field ever
 * type-checked, tsc would report the directive as unused.
 */
import { expectTypeOf } from 'vitest';
import { type AnyEventOf, type Broker, type DefaultEvents, type RealtimeEvent, connectBroker } from '../../src/index.ts';
import type { ActionReassigned, GoalCreated, MeasureReadingCreated } from '../../src/index.ts';

declare const broker: Broker;

// Exact types give the payload of the catalogue.
broker.on('action.reassigned', (e) => {
  expectTypeOf(e.type).toEqualTypeOf<'action.reassigned'>();
  expectTypeOf(e.data).toEqualTypeOf<ActionReassigned>();
  expectTypeOf(e.data.newAssignee).toEqualTypeOf<string>();
  expectTypeOf(e.data.previousAssignee).toEqualTypeOf<string | null>();
  expectTypeOf(e.timestamp).toEqualTypeOf<string>();
  expectTypeOf(e.replayed).toEqualTypeOf<boolean | undefined>();
  // @ts-expect-error a field action.reassigned does not have
  void e.data.assignee;
});

broker.on('measure.reading.created', (e) => {
  expectTypeOf(e.data.value).toEqualTypeOf<number>();
  expectTypeOf(e.data.progress).toEqualTypeOf<number | null | undefined>();
  // @ts-expect-error value is a number
  const text: string = e.data.value;
  void text;
});

// A prefix gives the union of the types it covers, discriminated by `type`.
broker.on('goal.*', (e) => {
  expectTypeOf(e.type).toEqualTypeOf<
    'goal.created' | 'goal.activated' | 'goal.completed' | 'goal.cancelled' | 'goal.paused' | 'goal.resumed' | 'goal.activity.created'
  >();
  expectTypeOf(e.data.goalId).toEqualTypeOf<string>();
  if (e.type === 'goal.created') expectTypeOf(e.data).toEqualTypeOf<GoalCreated>();
  if (e.type === 'goal.activity.created') expectTypeOf(e.data.tags).toEqualTypeOf<string[] | null | undefined>();
  // @ts-expect-error not every goal event has a title
  void e.data.title;
});

broker.on('measure.*', (e) => {
  expectTypeOf(e.data).toEqualTypeOf<MeasureReadingCreated>();
});

// `*` gives every domain event (control frames excluded), narrowing by type.
broker.on('*', (e) => {
  expectTypeOf(e.type).not.toEqualTypeOf<'auth.success'>();
  if (e.type === 'issue.created') expectTypeOf(e.data.severity).toMatchTypeOf<string>();
  if (e.type === 'action.completed') expectTypeOf(e.data.onTime).toEqualTypeOf<boolean>();
});

// A handler may take every event untyped, since unknown types reach `*` too.
broker.on('*', (e: RealtimeEvent) => void e.data);

// Unknown types are still delivered, untyped.
broker.on('chat.message', (e) => {
  expectTypeOf(e).toEqualTypeOf<RealtimeEvent>();
  expectTypeOf(e.data).toEqualTypeOf<Record<string, unknown>>();
});
broker.on('chat.*', (e) => expectTypeOf(e).toEqualTypeOf<RealtimeEvent>());

// Control frames are typed for handlers of their exact type.
broker.on('auth.success', (e) => expectTypeOf(e.data.connectionId).toEqualTypeOf<string>());
broker.on('broadcast.error', (e) => expectTypeOf(e.data.code).toMatchTypeOf<string>());

// on() returns the unsubscribe function.
expectTypeOf(broker.on('goal.created', () => {})).toEqualTypeOf<() => void>();

// recent() is typed the same way.
void (async () => {
  const goals = await broker.recent({ type: 'goal.created', limit: 10 });
  expectTypeOf(goals[0]!.data.title).toEqualTypeOf<string>();
  const all = await broker.recent();
  expectTypeOf(all[0]!).toEqualTypeOf<AnyEventOf<DefaultEvents>>();
})();

// Apps extend the map with their own types.
type AppEvents = import('../../src/index.ts').DefaultEvents & { 'chat.message': { text: string; from: string } };
const app = connectBroker<AppEvents>({ url: 'wss://x/realtime', getToken: () => 't' });
app.on('chat.message', (e) => {
  expectTypeOf(e.data.text).toEqualTypeOf<string>();
  // @ts-expect-error chat.message has no goalId
  void e.data.goalId;
});
app.on('goal.created', (e) => expectTypeOf(e.data.title).toEqualTypeOf<string>());

// States, reasons and errors are typed unions.
broker.onState((next, prev, reason) => {
  expectTypeOf(next).toEqualTypeOf<typeof broker.state>();
  // @ts-expect-error not a state
  if (next === 'reconnecting') void prev;
  void reason;
});
broker.onError((error) => {
  if (error.code === 'SERVER_ERROR') expectTypeOf(error.serverCode).toEqualTypeOf<string | undefined>();
});
