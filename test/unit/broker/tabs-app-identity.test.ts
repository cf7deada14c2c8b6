/**
 * Two apps on one origin that reach the same socket URL stay apart: the worker's name and the
 * builds a broker hears of are keyed by the whole config that says whose connection it is (URL,
 * sessionKey, events-since URL, tenant, protocol), and a broker refuses a tab of another.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { BuildRadio } from '../../../src/broker/builds.ts';
import { checkSameConnection } from '../../../src/broker/tab-calls.ts';
import type { BrokerConfig, UpgradeNotice } from '../../../src/link/messages.ts';
import { hostName } from '../../../src/link/host-name.ts';
import { resolveConfig } from '../../../src/tab/options.ts';

const base = { url: 'wss://api.example/realtime', getToken: () => 't' };
const app1 = resolveConfig({ ...base, resync: { eventsSinceUrl: 'https://api.example/app1/events' } });
const others: Array<[string, BrokerConfig]> = [
  ['another replay URL', resolveConfig({ ...base, resync: { eventsSinceUrl: 'https://api.example/app2/events' } })],
  ['another tenant', resolveConfig({ ...base, resync: { eventsSinceUrl: 'https://api.example/app1/events' }, tenantId: 't-2' })],
  ['another protocol', resolveConfig({ ...base, resync: { eventsSinceUrl: 'https://api.example/app1/events' }, protocol: { preset: 'json' } })],
  ['another sessionKey', resolveConfig({ ...base, resync: { eventsSinceUrl: 'https://api.example/app1/events' }, sessionKey: 'u-2' })],
];

const radios: BuildRadio[] = [];
afterEach(() => {
  for (const radio of radios.splice(0)) radio.close();
});

describe('apps on one origin with the same socket URL', () => {
  it.each(others)('get workers of their own names with %s', (_, other) => {
    expect(hostName('b1', other)).not.toBe(hostName('b1', app1));
    expect(hostName('b1', resolveConfig({ ...base, resync: { eventsSinceUrl: 'https://api.example/app1/events' } }))).toBe(hostName('b1', app1));
  });

  it.each(others)("are refused by each other's broker with %s", (_, other) => {
    expect(() => checkSameConnection(other, app1)).toThrow(expect.objectContaining({ code: 'BUILD_MISMATCH' }));
    expect(() => checkSameConnection(structuredClone(app1), app1)).not.toThrow();
  });

  it("never hear of each other's builds, and still of their own", async () => {
    const heard: UpgradeNotice[] = [];
    const radio = (buildId: string, builtAt: number, config: BrokerConfig, onNewer: (notice: UpgradeNotice) => void = () => {}) => {
      const instance = new BuildRadio({ buildId, builtAt, mode: 'worker', linkVersion: 1 }, builtAt, onNewer);
      radios.push(instance);
      instance.listen(config);
    };
    radio('a', 1, app1, (notice) => heard.push(notice));
    for (const [i, [, other]] of others.entries()) radio(`other-${i}`, 2 + i, other);
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard).toEqual([]);
    radio('a-next', 10, structuredClone(app1));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(heard.map((notice) => notice.buildId)).toEqual(['a-next']);
  });
});
