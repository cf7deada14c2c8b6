/**
 * A tab's subscriptions in the broker: patterns with reference counts, indexed
 * so "does any match this type?" is a set lookup plus a few prefix checks.
 */
import type { Pattern } from '../../link/patterns.ts';

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
