/**
 * Subscription patterns: an exact type (`goal.created`), a prefix (`goal.*`,
 * matching `goal.created` and `goal.activity.created`) or everything (`*`).
 * The tab routes events to handlers with `matches`; the broker keeps each tab's
 * patterns in a `PatternSet` (pattern-set.ts).
 */

export type Pattern = string;

/** True when `pattern` is one of the three accepted forms. */
export function isValidPattern(pattern: unknown): pattern is Pattern {
  if (typeof pattern !== 'string' || pattern.length === 0 || pattern.length > 200) return false;
  if (pattern === '*') return true;
  const body = pattern.endsWith('.*') ? pattern.slice(0, -2) : pattern;
  return body.length > 0 && !body.includes('*');
}

export function matches(pattern: Pattern, type: string): boolean {
  if (pattern === '*') return true;
  if (pattern.endsWith('.*')) return type.startsWith(pattern.slice(0, -1));
  return pattern === type;
}
