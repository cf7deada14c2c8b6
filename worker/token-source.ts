/**
 * Tokens come from the tabs, the only place with the app's auth (DESIGN.md
 * rule 5). The worker asks the preferred live tab and moves on to the next when
 * one dies or hangs. A refresh runs in exactly one tab at a time.
 * Tokens are held only for the moment they are used: never logged or stored.
 */
import type { Clock } from '../src/ports.ts';
import type { TabRegistry } from './tabs.ts';

export type TokenResult = { ok: true; token: string } | { ok: false; cause: 'rejected' | 'timeout' };

export class TokenSource {
  /** A token handed back by `refreshToken`, used for the next handshake instead of asking. */
  #fresh: string | undefined;
  #refreshing: Promise<boolean> | undefined;

  readonly #tabs: TabRegistry;
  readonly #clock: Clock;
  readonly #timeoutMs: () => number;

  constructor(tabs: TabRegistry, clock: Clock, timeoutMs: () => number) {
    this.#tabs = tabs;
    this.#clock = clock;
    this.#timeoutMs = timeoutMs;
  }

  async getToken(): Promise<TokenResult> {
    if (this.#fresh !== undefined) {
      const token = this.#fresh;
      this.#fresh = undefined;
      return { ok: true, token };
    }
    let rejected = 0;
    let asked = 0;
    for (const tab of this.#tabs.byPreference()) {
      if (!tab.alive) continue;
      asked++;
      const answer = await tab.ask('getToken', this.#timeoutMs(), this.#clock);
      if (answer.ok && typeof answer.token === 'string' && answer.token.length > 0) return { ok: true, token: answer.token };
      if (!answer.ok && answer.why === 'rejected') rejected++;
    }
    // Every tab that answered said no: the user is logged out. Otherwise nobody answered in time.
    return { ok: false, cause: asked > 0 && rejected === asked ? 'rejected' : 'timeout' };
  }

  /** Single flight: concurrent callers share one refresh in one tab. */
  refresh(): Promise<boolean> {
    this.#refreshing ??= this.#runRefresh().finally(() => {
      this.#refreshing = undefined;
    });
    return this.#refreshing;
  }

  forget(): void {
    this.#fresh = undefined;
  }

  async #runRefresh(): Promise<boolean> {
    for (const tab of this.#tabs.byPreference()) {
      if (!tab.alive) continue;
      const answer = await tab.ask('refreshToken', this.#timeoutMs(), this.#clock);
      if (answer.ok) {
        if (typeof answer.token === 'string' && answer.token.length > 0) this.#fresh = answer.token;
        return true;
      }
      // The refresh itself was refused: asking another tab would only refresh twice.
      if (answer.why === 'rejected') return false;
      // The tab died or hung mid-refresh: the next one tries.
    }
    return false;
  }
}
