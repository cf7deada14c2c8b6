/**
 * The names the guide and the backend give one event type. The guide writes
 * `kpi.reading_created`, its migration analysis `kpi.reading.created`, the backend
 * `measure.reading.created`; PurposePath's dialect in the worker hands on the last
 * (src/broker/protocol/payloads.ts, `typeAliases`, which
 * test/unit/purposepath/purposepath-names.test.ts keeps equal to this table).
 * Subscriptions match exactly, so a handler of any of the names is subscribed to all three.
 */
import type { MeasureReadingCreated } from '../link/catalogue.ts';
import type { RealtimeEvent } from '../link/events.ts';

/** The current name of each older one. */
export const currentNames: ReadonlyMap<string, string> = new Map([
  ['kpi.reading.created', 'measure.reading.created'],
  ['kpi.reading_created', 'measure.reading.created'],
]);

/** Every name of a measure reading. */
export type ReadingName = 'measure.reading.created' | 'kpi.reading.created' | 'kpi.reading_created';

/** A reading, under whichever of its names the server sent. */
export type ReadingEvent = RealtimeEvent<ReadingName, MeasureReadingCreated>;

/** The patterns that deliver what `pattern` names: all of an event's names, or the pattern alone. */
export function namesOf(pattern: string): string[] {
  const current = currentNames.get(pattern) ?? pattern;
  const older = [...currentNames].filter(([, name]) => name === current).map(([old]) => old);
  return older.length > 0 ? [current, ...older] : [pattern];
}

const noted = new Set<string>();

/** Once per page and older name: which name the events carry now. */
export function noteOlderName(pattern: string): void {
  const current = currentNames.get(pattern);
  if (!current || noted.has(pattern)) return;
  noted.add(pattern);
  console.info(
    `tabwire: '${pattern}' is an older name of '${current}', the name PurposePath's events carry now. ` +
      `The handler gets both; subscribe to '${current}' to drop this note.`,
  );
}
