/**
 * Reaching the SharedWorker from a test: Playwright has no API for it, so we
 * go through the browser's CDP session (Target domain), which the browser exposes for shared workers.
 */
import type { Browser, CDPSession } from '@playwright/test';

interface TargetInfo {
  targetId: string;
  type: string;
  url: string;
  title: string;
}

async function session(browser: Browser): Promise<CDPSession> {
  return browser.newBrowserCDPSession();
}

export async function sharedWorkerTargets(browser: Browser): Promise<TargetInfo[]> {
  const cdp = await session(browser);
  try {
    const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: TargetInfo[] };
    return targetInfos.filter((target) => target.type === 'shared_worker');
  } finally {
    await cdp.detach();
  }
}

/** Send CDP commands to a shared worker target, in order; returns their results. */
export async function workerCommands(
  browser: Browser,
  targetId: string,
  commands: Array<{ method: string; params?: Record<string, unknown> }>,
): Promise<unknown[]> {
  const cdp = await session(browser);
  try {
    const { sessionId } = (await cdp.send('Target.attachToTarget', { targetId, flatten: false })) as { sessionId: string };
    const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
    cdp.on('Target.receivedMessageFromTarget', (event: { sessionId: string; message: string }) => {
      if (event.sessionId !== sessionId) return;
      const message = JSON.parse(event.message) as { id?: number; result?: unknown; error?: unknown };
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter) return;
      pending.delete(message.id!);
      if (message.error) waiter.reject(new Error(JSON.stringify(message.error)));
      else waiter.resolve(message.result);
    });
    const results: unknown[] = [];
    for (const [index, command] of commands.entries()) {
      const id = index + 1;
      const answer = new Promise<unknown>((resolve, reject) => pending.set(id, { resolve, reject }));
      await cdp.send('Target.sendMessageToTarget', { sessionId, message: JSON.stringify({ id, method: command.method, params: command.params ?? {} }) });
      results.push(await answer);
    }
    return results;
  } finally {
    await cdp.detach();
  }
}

/** Evaluate an expression inside a shared worker target and return its (JSON) value. */
export async function evaluateInWorker(browser: Browser, targetId: string, expression: string): Promise<unknown> {
  const [result] = (await workerCommands(browser, targetId, [
    { method: 'Runtime.evaluate', params: { expression, returnByValue: true, awaitPromise: true } },
  ])) as Array<{ result?: { value?: unknown } }>;
  return result?.result?.value;
}

/** Kill a shared worker the way a browser under memory pressure would: abruptly. */
export async function killSharedWorker(browser: Browser, targetId: string): Promise<void> {
  const cdp = await session(browser);
  try {
    await cdp.send('Target.closeTarget', { targetId });
  } finally {
    await cdp.detach();
  }
}

/** The worker's used JS heap after a forced garbage collection, in bytes. */
export async function workerHeapAfterGc(browser: Browser, targetId: string): Promise<number> {
  const results = (await workerCommands(browser, targetId, [
    { method: 'HeapProfiler.enable' },
    { method: 'HeapProfiler.collectGarbage' },
    { method: 'HeapProfiler.collectGarbage' },
    { method: 'Runtime.getHeapUsage' },
  ])) as Array<{ usedSize?: number }>;
  return results[3]!.usedSize!;
}
