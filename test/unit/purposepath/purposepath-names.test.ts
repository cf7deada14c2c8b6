/** The React entry's table of older event names is the worker's: a handler of any name gets what the worker hands on. */
import { describe, expect, it } from 'vitest';
import { typeAliases } from '../../../src/broker/protocol/payloads.ts';
import { currentNames, namesOf } from '../../../src/purposepath/event-names.ts';

describe('PurposePath event names', () => {
  it('are the names the worker renames', () => {
    expect([...currentNames]).toEqual([...typeAliases]);
  });

  it('subscribe a handler of any name of a reading to all of them, and any other pattern to itself', () => {
    const all = ['measure.reading.created', 'kpi.reading.created', 'kpi.reading_created'];
    for (const name of all) expect(namesOf(name)).toEqual(all);
    expect(namesOf('goal.*')).toEqual(['goal.*']);
    expect(namesOf('*')).toEqual(['*']);
  });
});
