import { describe, expect, it } from 'vitest';
import { PatternSet } from '../../../../src/broker/core/pattern-set.ts';
import { isValidPattern, matches } from '../../../../src/link/patterns.ts';

describe('subscription patterns', () => {
  it('matches exact types, dot prefixes and everything', () => {
    expect(matches('goal.created', 'goal.created')).toBe(true);
    expect(matches('goal.created', 'goal.completed')).toBe(false);
    expect(matches('goal.*', 'goal.created')).toBe(true);
    expect(matches('goal.*', 'goal.activity.created')).toBe(true);
    expect(matches('goal.*', 'goals.created')).toBe(false);
    expect(matches('goal.*', 'goal')).toBe(false);
    expect(matches('*', 'anything.at.all')).toBe(true);
  });

  it('accepts the three forms and refuses the rest', () => {
    for (const ok of ['*', 'goal.created', 'goal.*', 'measure.reading.*', 'x']) expect(isValidPattern(ok)).toBe(true);
    for (const bad of ['', 'goal*', '*.created', 'goal.*.x', '.*', 42, null, 'a'.repeat(201)]) expect(isValidPattern(bad)).toBe(false);
  });

  it('counts references so two handlers of one pattern need two removals', () => {
    const set = new PatternSet();
    expect(set.add('goal.*')).toBe(true);
    expect(set.add('goal.*')).toBe(false);
    expect(set.remove('goal.*')).toBe(false);
    expect(set.matches('goal.created')).toBe(true);
    expect(set.remove('goal.*')).toBe(true);
    expect(set.matches('goal.created')).toBe(false);
    expect(set.remove('goal.*')).toBe(false);
  });

  it('answers matches for mixed patterns and forgets them on clear', () => {
    const set = new PatternSet();
    set.add('issue.created');
    set.add('action.*');
    expect(set.matches('issue.created')).toBe(true);
    expect(set.matches('issue.status_changed')).toBe(false);
    expect(set.matches('action.reassigned')).toBe(true);
    set.add('*');
    expect(set.matches('unknown.type')).toBe(true);
    expect(set.patterns().sort()).toEqual(['*', 'action.*', 'issue.created']);
    set.clear();
    expect(set.size).toBe(0);
    expect(set.matches('unknown.type')).toBe(false);
  });
});
