/**
 * Tokens come from the tabs, the only place with the app's auth. The worker
 * asks the preferred live tab and moves on to the next when one dies, hangs or
 * has none to offer; a tab that hung is asked last from then on, so one frozen
 * tab (an `alert()`, a paused debugger) cannot keep the browser offline. A
 * refresh runs in exactly one tab at a time: one that hangs ends the round
 * (`unanswered`) rather than moving on, as it may still land.
 *
 * Tokens are held only for the moment they are used: never logged or stored.
 * Everything here belongs to one session: `forget()` (logout, another user)
 * starts a new epoch, and a refresh that finishes in an older epoch is void.
 */
import type { Clock } from '../link/clock.ts';
import type { Tab, TabRegistry } from './tabs.ts';

export type TokenResult = { ok: true; token: string } | { ok: false; cause: 'rejected' | 'timeout' };

/**
 * How a refresh ended: `refused` (a tab's refreshToken threw, or no tab has one), or `unanswered`
 * (the tab was still refreshing when its time ran out): the latter says nothing about the credentials.
 */
export type RefreshOutcome = 'refreshed' | 'refused' | 'unanswered';

export class TokenSource {
  /** A token handed back by `refreshToken`, used for the next handshake instead of asking. */
  #fresh: string | undefined;
  #refreshing: Promise<RefreshOutcome> | undefined;
  #epoch = 0;
  /** Tabs that did not answer in time: asked after every other tab until they answer again. */
  readonly #slow = new Set<string>();

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
    let declined = 0;
    let asked = 0;
    for (const tab of this.#askOrder()) {
      if (!tab.alive) continue;
      asked++;
      const answer = await this.#ask(tab, 'getToken');
      if (answer.ok && typeof answer.token === 'string' && answer.token.length > 0) return { ok: true, token: answer.token };
      if (!answer.ok && (answer.why === 'rejected' || answer.why === 'cannot')) declined++;
    }
    // Every tab that answered has no token: the user is logged out. Otherwise someone may answer later.
    return { ok: false, cause: asked > 0 && declined === asked ? 'rejected' : 'timeout' };
  }

  /** Single flight: concurrent callers share one refresh in one tab. True once a tab refreshed. */
  async refresh(): Promise<boolean> {
    return (await this.refreshOutcome()) === 'refreshed';
  }

  /** As `refresh()`, telling a refusal from a refresh no tab finished in time. */
  refreshOutcome(): Promise<RefreshOutcome> {
    if (this.#refreshing) return this.#refreshing;
    const running = this.#runRefresh(this.#epoch).finally(() => {
      if (this.#refreshing === running) this.#refreshing = undefined;
    });
    this.#refreshing = running;
    return running;
  }

  /** The session ended or changed: drop the refreshed token, and void any refresh still running. */
  forget(): void {
    this.#epoch++;
    this.#fresh = undefined;
    this.#refreshing = undefined;
  }

  async #runRefresh(epoch: number): Promise<RefreshOutcome> {
    for (const tab of this.#askOrder()) {
      if (!tab.alive) continue;
      const answer = await this.#ask(tab, 'refreshToken');
      // Logged out (or another user came) while this tab refreshed: its token belongs to nobody now.
      if (epoch !== this.#epoch) return 'refused';
      if (answer.ok) {
        if (typeof answer.token === 'string' && answer.token.length > 0) this.#fresh = answer.token;
        return 'refreshed';
      }
      // The refresh itself was refused: asking another tab would only refresh twice.
      if (answer.why === 'rejected') return 'refused';
      // Still refreshing, maybe only slow: another tab now would refresh twice (a single-use refresh
      // token would end the session). The next try asks the tabs for their token again, and should
      // it be refused, a refresh goes to another tab first (this one is asked last).
      if (answer.why === 'timeout') return 'unanswered';
      // The tab died or has no refreshToken: the next one tries.
    }
    return 'refused';
  }

  /** Preferred tabs first, tabs that hung before last. */
  #askOrder(): Tab[] {
    for (const id of this.#slow) if (!this.#tabs.get(id)) this.#slow.delete(id);
    const tabs = this.#tabs.byPreference();
    return [...tabs.filter((tab) => !this.#slow.has(tab.id)), ...tabs.filter((tab) => this.#slow.has(tab.id))];
  }

  async #ask(tab: Tab, fn: 'getToken' | 'refreshToken') {
    const answer = await tab.ask(fn, this.#timeoutMs(), this.#clock);
    if (!answer.ok && answer.why === 'timeout') this.#slow.add(tab.id);
    else this.#slow.delete(tab.id);
    if (!tab.alive) this.#slow.delete(tab.id);
    return answer;
  }
}
