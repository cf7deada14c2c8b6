/**
 * The multi-tab driver the conformance scenarios are written against, once, for every
 * engine: an engine opens isolated sessions (a browser profile of their own), a session
 * opens tabs, a tab evaluates functions in the page, reloads and closes. Three
 * implementations: Playwright for Chromium, puppeteer-core over WebDriver BiDi for Firefox,
 * selenium-webdriver for WebKitGTK (Playwright cannot drive Debian's Firefox or WebKit).
 *
 * A function given to `evaluate` runs in the page: it must not close over anything of the
 * test (it travels as its source text) and takes one JSON-like argument.
 */

export type EngineName = 'chromium' | 'firefox' | 'webkit';

/** What some engine cannot do from its automation protocol; each carries the reason a scenario prints when it skips. */
export type Capability = 'offline' | 'background';

export interface Tab {
  /** Runs `fn(arg)` in the page and resolves with its (awaited, JSON-like) result. */
  evaluate<R, A = undefined>(fn: (arg: A) => R | Promise<R>, arg?: A): Promise<Awaited<R>>;
  /** Reloads the page and waits for its load event. */
  reload(): Promise<void>;
  close(): Promise<void>;
}

export interface Session {
  /** Opens `url` in a new tab of this session and waits for its load event. */
  open(url: string): Promise<Tab>;
  /** Takes the whole session off the network (navigator.onLine false) or back; only where the engine's `cannot('offline')` is undefined. */
  setOffline(offline: boolean): Promise<void>;
  /**
   * Puts `tab` in the background as a user would: another tab of the session (a blank one)
   * brought to the front. Resolves with how it was done, for the results; only where the
   * engine's `cannot('background')` is undefined.
   */
  background(tab: Tab): Promise<string>;
  close(): Promise<void>;
}

export interface Engine {
  readonly name: EngineName;
  /** Human name with version, for the output: "Firefox 140.5.0esr". */
  readonly label: string;
  /** Why the engine cannot do `capability`, or undefined when it can. */
  cannot(capability: Capability): string | undefined;
  /** A new session isolated from every other one: storage, workers, locks, channels. */
  newSession(): Promise<Session>;
  /** Stops everything this engine started (browser, driver, display), even after failures. */
  dispose(): Promise<void>;
}
