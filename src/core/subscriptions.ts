/**
 * Subscription patterns: an exact type (`goal.created`), a prefix (`goal.*`,
 * matching `goal.created` and `goal.activity.created`) or everything (`*`).
 * Used by the worker to filter what each tab is sent, and by the tab to route
 * to handlers. Pure data; matching is O(patterns of the tab), usually a handful.
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

/** A set of patterns with reference counts, answering "does any match this type?" quickly. */
export class PatternSet {
  private readonly counts = new Map<Pattern, number>();
  private readonly exact = new Set<string>();
  private readonly prefixes: string[] = [];
  private everything = false;

  /** Adds one reference; returns true when the pattern is new to the set. */
  add(pattern: Pattern): boolean {
    const count = this.counts.get(pattern) ?? 0;
    this.counts.set(pattern, count + 1);
    if (count > 0) return false;
    this.index(pattern, true);
    return true;
  }

  /** Drops one reference; returns true when the pattern left the set. */
  remove(pattern: Pattern): boolean {
    const count = this.counts.get(pattern);
    if (count === undefined) return false;
    if (count > 1) {
      this.counts.set(pattern, count - 1);
      return false;
    }
    this.counts.delete(pattern);
    this.index(pattern, false);
    return true;
  }

  has(pattern: Pattern): boolean {
    return this.counts.has(pattern);
  }

  patterns(): Pattern[] {
    return [...this.counts.keys()];
  }

  get size(): number {
    return this.counts.size;
  }

  clear(): void {
    this.counts.clear();
    this.exact.clear();
    this.prefixes.length = 0;
    this.everything = false;
  }

  matches(type: string): boolean {
    if (this.everything || this.exact.has(type)) return true;
    for (const prefix of this.prefixes) if (type.startsWith(prefix)) return true;
    return false;
  }

  private index(pattern: Pattern, present: boolean): void {
    if (pattern === '*') {
      this.everything = present;
    } else if (pattern.endsWith('.*')) {
      const prefix = pattern.slice(0, -1); // keep the dot: 'goal.' must not match 'goals.x'
      const at = this.prefixes.indexOf(prefix);
      if (present && at < 0) this.prefixes.push(prefix);
      if (!present && at >= 0) this.prefixes.splice(at, 1);
    } else if (present) {
      this.exact.add(pattern);
    } else {
      this.exact.delete(pattern);
    }
  }
}
