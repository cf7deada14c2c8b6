/**
 * The three implementations of the driver (driver.ts): Chromium through Playwright,
 * Firefox through puppeteer-core over WebDriver BiDi, WebKitGTK through selenium-webdriver
 * and WebKitWebDriver on an Xvfb display. Each engine starts one browser (or one driver)
 * for the whole suite; a session is an isolated profile inside it where the protocol has
 * one, else a browser of its own. Everything started is stopped by `dispose`, and by a
 * process exit hook should the run end some other way.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { chromium } from 'playwright';
import puppeteer from 'puppeteer-core';
import { Builder, type WebDriver } from 'selenium-webdriver';
// @ts-expect-error plain ESM helper without types
import { chromiumArgs, ensureChromium } from '../../scripts/chromium.mjs';
import type { Capability, Engine, EngineName, Session, Tab } from './driver.ts';

type Fn = (arg: never) => unknown;

/** Processes of our own (a driver, a display), killed with their process group even if the run dies. */
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) killGroup(child);
});

function killGroup(child: ChildProcess): void {
  if (child.exitCode !== null || child.signalCode !== null || child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

function start(command: string, args: string[], env: NodeJS.ProcessEnv = process.env, extraFds = 0): ChildProcess {
  // Its own process group, so the browsers it starts go with it.
  const child = spawn(command, args, { detached: true, env, stdio: ['ignore', 'ignore', 'pipe', ...Array<'pipe'>(extraFds).fill('pipe')] });
  children.add(child);
  child.once('exit', () => children.delete(child));
  child.stderr?.resume();
  return child;
}

/** How long a WebDriver session's quit may take before its driver is stopped instead, in ms. */
const quitWithinMs = 10_000;

/** How long a WebDriver session may take to start before its driver is stopped and another tried, in ms. */
const startWithinMs = 15_000;

/** `work`, or a rejection naming `what` after `ms`. */
function withinMs<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} in ${ms} ms`)), ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  if (child.pid !== undefined) {
    try {
      process.kill(-child.pid, 'SIGTERM');
    } catch {
      return;
    }
  }
  const timer = setTimeout(() => killGroup(child), 3000);
  await exited;
  clearTimeout(timer);
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await fetch(url);
      return;
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
}

/** What each engine cannot do, known before it starts, so a scenario can say so by name. */
export const cannotByEngine: Record<EngineName, Partial<Record<Capability, string>>> = {
  chromium: {
    background:
      'Chromium: Playwright turns on focus emulation for every page it drives, which keeps the page visible (another tab brought to the front, or the window minimized, leaves it visible), so no tab can be put in the background from this driver',
  },
  firefox: {},
  webkit: { offline: 'WebKitGTK: WebKitWebDriver has no network emulation, so a session cannot be taken offline' },
};

const unsupported = (name: EngineName) => (capability: Capability) => cannotByEngine[name][capability];

/** Chromium (Debian's) through Playwright: a session is a browser context. */
export async function launchChromium(): Promise<Engine> {
  const executablePath: string = process.env.CHROMIUM_PATH ?? ensureChromium();
  const browser = await chromium.launch({ executablePath, args: chromiumArgs, headless: true });
  return {
    name: 'chromium',
    label: `Chromium ${browser.version()}`,
    cannot: unsupported('chromium'),
    async newSession(): Promise<Session> {
      const context = await browser.newContext();
      return {
        async open(url) {
          const page = await context.newPage();
          await page.goto(url);
          return {
            evaluate: (fn, arg) => page.evaluate(fn as Fn, arg as never) as never,
            reload: async () => void (await page.reload()),
            close: () => page.close(),
          };
        },
        setOffline: (offline) => context.setOffline(offline),
        async background() {
          throw new Error(cannotByEngine.chromium.background);
        },
        close: () => context.close(),
      };
    },
    dispose: () => browser.close(),
  };
}

/** Firefox through puppeteer-core over WebDriver BiDi: a session is a user context (like a container). */
export async function launchFirefox(): Promise<Engine> {
  const browser = await puppeteer.launch({
    browser: 'firefox',
    executablePath: process.env.FIREFOX_PATH ?? '/usr/bin/firefox-esr',
    headless: true,
    protocol: 'webDriverBiDi',
  });
  const version = await browser.version();
  return {
    name: 'firefox',
    label: `Firefox ${version.replace(/^firefox\//, '')}`,
    cannot: unsupported('firefox'),
    async newSession(): Promise<Session> {
      const context = await browser.createBrowserContext();
      let offline = false;
      return {
        async open(url) {
          const page = await context.newPage();
          if (offline) await page.setOfflineMode(true);
          await page.goto(url);
          return {
            evaluate: (fn, arg) => page.evaluate(fn as Fn, arg as never) as never,
            reload: async () => void (await page.reload()),
            close: () => page.close(),
          };
        },
        async setOffline(value) {
          // BiDi emulates the network per page: every page of the session goes with it.
          offline = value;
          for (const page of await context.pages()) await page.setOfflineMode(value);
        },
        async background() {
          // A new tab opens in the front (BiDi activates it); bringToFront says so explicitly.
          const other = await context.newPage();
          await other.bringToFront();
          return 'another tab brought to the front';
        },
        close: () => context.close(),
      };
    },
    dispose: () => browser.close(),
  };
}

/**
 * WebKitGTK's MiniBrowser through WebKitWebDriver, on an Xvfb display of our own. A
 * WebKitWebDriver serves one session at a time and the WebDriver protocol has no isolated
 * profile inside a session, so a session is a MiniBrowser of its own (automation mode keeps
 * its data ephemeral), with a WebKitWebDriver per session open at once.
 */
export async function launchWebKit(): Promise<Engine> {
  const xvfb = start(process.env.XVFB_PATH ?? 'Xvfb', ['-displayfd', '3', '-screen', '0', '1280x800x24', '-nolisten', 'tcp'], process.env, 1);
  const display = await new Promise<string>((resolve, reject) => {
    xvfb.stdio[3]!.once('data', (data) => resolve(`:${String(data).trim()}`));
    xvfb.once('exit', (code) => reject(new Error(`Xvfb exited (${code}) before giving a display`)));
  });
  const binary = process.env.MINIBROWSER_PATH ?? '/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser';
  const capabilities = { browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } };
  const idle: Array<{ process: ChildProcess; url: string }> = [];
  const sessions = new Set<Session>();
  let label = 'WebKitGTK';

  async function driverProcess() {
    const reused = idle.pop();
    if (reused) return reused;
    const port = await freePort();
    const child = start(process.env.WEBKIT_WEBDRIVER_PATH ?? 'WebKitWebDriver', [`--port=${port}`], { ...process.env, DISPLAY: display });
    const url = `http://127.0.0.1:${port}`;
    await waitForHttp(`${url}/status`, 10_000);
    return { process: child, url };
  }

  /**
   * A session on a driver: one whose start has not answered in `startWithinMs` costs that driver
   * (stopped, not reused) and is tried once more on a fresh one, as a quit that never answers does.
   */
  async function startSession(retries = 1): Promise<{ server: { process: ChildProcess; url: string }; driver: WebDriver }> {
    const server = await driverProcess();
    const starting = new Builder().usingServer(server.url).withCapabilities(capabilities).build();
    try {
      return { server, driver: await withinMs(Promise.resolve(starting), startWithinMs, 'WebKitWebDriver did not start a session') };
    } catch (error) {
      console.log(`  [webkit] ${(error as Error).message}: its driver and browser are stopped, not reused`);
      await stop(server.process);
      if (retries === 0) throw error;
      return startSession(retries - 1);
    }
  }

  const engine: Engine = {
    name: 'webkit',
    get label() {
      return label;
    },
    cannot: unsupported('webkit'),
    async newSession(): Promise<Session> {
      const { server, driver } = await startSession();
      const version = (await driver.getCapabilities()).getBrowserVersion();
      if (version) label = `WebKitGTK ${version}`;
      await driver.manage().setTimeouts({ script: 60_000, pageLoad: 30_000 });
      // One driver drives every tab through a single "current window": commands take turns.
      let queue: Promise<unknown> = Promise.resolve();
      const inTurn = <T>(work: () => Promise<T>): Promise<T> => {
        const result = queue.then(work, work);
        queue = result.catch(() => undefined);
        return result;
      };
      // The session's first window stays open (blank) so closing every tab does not end the session.
      const keeper = await driver.getWindowHandle();
      const session: Session = {
        open: (url) =>
          inTurn(async () => {
            await driver.switchTo().newWindow('tab');
            const handle = await driver.getWindowHandle();
            await driver.get(url);
            const onTab = <T>(work: () => Promise<T>) =>
              inTurn(async () => {
                await driver.switchTo().window(handle);
                return work();
              });
            const tab: Tab = {
              evaluate: (fn, arg) => onTab(() => driver.executeScript(`return (${fn.toString()})(arguments[0]);`, arg ?? null)) as never,
              reload: () => onTab(() => driver.navigate().refresh()),
              close: () =>
                onTab(async () => {
                  await driver.close();
                  await driver.switchTo().window(keeper);
                }),
            };
            return tab;
          }),
        async setOffline() {
          throw new Error(engine.cannot('offline'));
        },
        async background() {
          // The new tab becomes MiniBrowser's current one, in front of every other.
          await session.open('about:blank');
          return 'another tab opened in front of it';
        },
        async close() {
          sessions.delete(session);
          try {
            // A quit that never answers must cost its driver, not the scenario that already passed.
            await withinMs(inTurn(() => driver.quit()), quitWithinMs, 'WebKitWebDriver did not quit');
            idle.push(server);
          } catch (error) {
            console.log(`  [webkit] ${(error as Error).message}: its driver and browser are stopped, not reused`);
            await stop(server.process);
          }
        },
      };
      sessions.add(session);
      return session;
    },
    async dispose() {
      for (const session of [...sessions]) await session.close().catch(() => undefined);
      for (const server of idle.splice(0)) await stop(server.process);
      await stop(xvfb);
    },
  };
  return engine;
}

export const launchers: Record<EngineName, () => Promise<Engine>> = {
  chromium: launchChromium,
  firefox: launchFirefox,
  webkit: launchWebKit,
};
