import { describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../../src/link/messages.ts';
import { hostName } from '../../../src/link/host-name.ts';
import { hashSessionKey } from '../../../src/link/session-key.ts';

describe('sessionKey: one broker per signed-in account', () => {
  it('hashes to 16 hex digits, the same for the same key', () => {
    expect(hashSessionKey('tenant-123:user-456')).toMatch(/^[0-9a-f]{16}$/);
    expect(hashSessionKey('tenant-123:user-456')).toBe(hashSessionKey('tenant-123:user-456'));
  });

  it('tells close keys apart', () => {
    const keys = ['a', 'b', 'ab', 'ba', 'tenant-1:user-1', 'tenant-1:user-2', 'tenant-2:user-1', 'ü', '😀', ''.padEnd(1000, 'x')];
    const hashes = new Set(keys.map(hashSessionKey));
    expect(hashes.size).toBe(keys.length);
    // Many neighbours, no collision in 64 bits.
    const many = new Set(Array.from({ length: 20_000 }, (_, i) => hashSessionKey(`tenant:${i}`)));
    expect(many.size).toBe(20_000);
  });

  it('names the worker and the leader by build, endpoint and hashed key', () => {
    const url = 'wss://x/realtime';
    const named = (key?: string) => hostName('b1', { url, ...(key ? { sessionKey: hashSessionKey(key) } : {}) } as BrokerConfig);
    const a = named('t:alice');
    const b = named('t:bob');
    expect(a).not.toBe(b);
    expect(a).not.toContain('alice');
    expect(a.startsWith(`tabwire|b1|${url}|`)).toBe(true);
    expect(a).toBe(named('t:alice'));
    expect(named()).not.toBe(a);
  });
});
