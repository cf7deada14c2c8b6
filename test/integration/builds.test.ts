import { afterEach, describe, expect, it } from 'vitest';
import type { BrokerConfig, UpgradeNotice } from '../../src/link/messages.ts';
import { type BuildInfo, BuildRadio } from '../../src/broker/builds.ts';

const radios: BuildRadio[] = [];
afterEach(() => {
  for (const radio of radios.splice(0)) radio.close();
});

function radio(build: Partial<BuildInfo> & { buildId: string }, startedAt: number, url = 'wss://x/realtime') {
  const heard: UpgradeNotice[] = [];
  const instance = new BuildRadio({ builtAt: 1000, mode: 'worker', linkVersion: 1, ...build }, startedAt, (notice) => heard.push(notice));
  radios.push(instance);
  instance.listen({ url } as BrokerConfig);
  return { instance, heard };
}

const settle = () => new Promise((resolve) => setTimeout(resolve, 50));

describe('builds announce themselves', () => {
  it('tells the older build once of the newer one, whichever started first', async () => {
    const old = radio({ buildId: 'a', builtAt: 1000 }, 1);
    const fresh = radio({ buildId: 'b', builtAt: 2000, script: 'https://app/next/worker.js', name: 'tabwire|b|wss://x/realtime' }, 2);
    await settle();
    expect(old.heard).toEqual([{ buildId: 'b', mode: 'worker', script: 'https://app/next/worker.js', name: 'tabwire|b|wss://x/realtime', compatible: true }]);
    expect(fresh.heard).toEqual([]);
    expect(old.instance.newer?.buildId).toBe('b');
    // An old page opened after the deploy still learns of the new build.
    const late = radio({ buildId: 'a2', builtAt: 500 }, 3);
    await settle();
    // It may hear of `a` first (also newer than it); it ends up pointing at the newest.
    expect(late.heard.at(-1)?.buildId).toBe('b');
    expect(late.instance.newer?.buildId).toBe('b');
  });

  it('orders builds made at the same time by when their broker started', async () => {
    const first = radio({ buildId: 'app-v1' }, 10);
    const second = radio({ buildId: 'app-v2' }, 20);
    await settle();
    expect(first.heard.map((n) => n.buildId)).toEqual(['app-v2']);
    expect(second.heard).toEqual([]);
  });

  it('says a move needs a reload when the link or the kind of host differs', async () => {
    const old = radio({ buildId: 'a', builtAt: 1 }, 1);
    radio({ buildId: 'b', builtAt: 2, linkVersion: 2 }, 2);
    await settle();
    expect(old.heard[0]).toMatchObject({ buildId: 'b', compatible: false });
    const leader = radio({ buildId: 'c', builtAt: 3, mode: 'leader' }, 3);
    await settle();
    expect(old.heard.at(-1)).toMatchObject({ buildId: 'c', compatible: false });
    void leader;
  });

  it('ignores other endpoints and its own build', async () => {
    const mine = radio({ buildId: 'a', builtAt: 1 }, 1);
    radio({ buildId: 'b', builtAt: 2 }, 2, 'wss://other/realtime');
    radio({ buildId: 'a', builtAt: 1 }, 3);
    await settle();
    expect(mine.heard).toEqual([]);
  });
});
