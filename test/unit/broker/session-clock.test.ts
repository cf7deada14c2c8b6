/** The server's clock when the handshake gives no time: taken from live events, only forward. */
import { describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../../src/link/messages.ts';
import { BrokerSession } from '../../../src/broker/session.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const t0 = Date.UTC(2026, 11, 6, 12);
const session = (clock: FakeClock) => new BrokerSession({ url: 'ws://x.example/realtime', maxBufferedMessages: 10 } as BrokerConfig, clock, () => {});
const who = { tenantId: 't', userId: 'u' };

describe('the server clock without a handshake time', () => {
  it('moves forward with newer events: a resumed stream whose first event is old does not leave it behind', () => {
    const clock = new FakeClock(t0);
    const s = session(clock);
    s.authenticated(who, Number.NaN);
    s.liveEventStamped(t0 - 120_000);
    expect(s.serverNow()).toBe(t0 - 120_000);
    s.liveEventStamped(t0);
    expect(s.serverNow()).toBe(t0);
    expect(s.inFuture(t0 + 30_000)).toBe(false);
  });

  it('does not move back for an older event, and keeps the handshake’s own time', () => {
    const clock = new FakeClock(t0);
    const s = session(clock);
    s.authenticated(who, t0);
    s.liveEventStamped(t0 + 300_000);
    expect(s.serverNow()).toBe(t0);
    expect(s.inFuture(t0 + 300_000)).toBe(true);
  });
});
