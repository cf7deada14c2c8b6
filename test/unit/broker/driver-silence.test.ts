/**
 * Liveness by silence: a channel dialect whose server pings and whose client only answers
 * (Socket.IO) names how long the server may stay silent; the driver replaces a socket silent
 * that long, on the injected clock.
 */
import { describe, expect, it } from 'vitest';
import { ConnectionDriver } from '../../../src/broker/connection-driver.ts';
import { newCounters } from '../../../src/broker/broker-stats.ts';
import { sanitizeBrokerConfig } from '../../../src/broker/broker-config.ts';
import { engineProtocolOf } from '../../../src/broker/dialect-link.ts';
import type { TransportHandlers } from '../../../src/broker/ports.ts';
import type { TokenSource } from '../../../src/broker/token-source.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const silenceLimitMs = 45_000;

function silentWorld(limit: number | undefined) {
  const clock = new FakeClock();
  const sockets: Array<{ handlers: TransportHandlers; closedWith?: string }> = [];
  const driver = new ConnectionDriver({
    config: sanitizeBrokerConfig({ url: 'ws://127.0.0.1:9/ws', keepAliveMs: 10_000, minDelayMs: 100, maxDelayMs: 100 }),
    clock,
    random: () => 0.5,
    transport: (_url, handlers) => {
      const socket: { handlers: TransportHandlers; closedWith?: string } = { handlers };
      sockets.push(socket);
      return { send() {}, close: (_code, reason) => void (socket.closedWith = reason ?? '') };
    },
    protocol: engineProtocolOf({ auth: 'cookie', recovers: true, connect: () => { throw new Error('unused'); } }),
    tokens: {} as TokenSource,
    counters: newCounters(),
    report: () => {},
    sessionEpoch: () => 1,
    onFrame: () => {},
    onOpenAccepted: () => {},
    onStateChanged: () => {},
    dialect: { binary: false, socketCreated() {}, open() {}, ping: () => undefined, silenceLimitMs: () => limit },
  });
  /** Start, open the socket, accept the handshake (as the dialect's `accepted` would). */
  const open = () => {
    driver.dispatch({ type: 'start', online: true });
    sockets.at(-1)!.handlers.onOpen();
    driver.dispatch({ type: 'auth-accepted' });
    driver.opened();
  };
  return { clock, sockets, driver, open };
}

describe('a socket silent longer than the dialect allows', () => {
  it('is closed and replaced; each frame restarts the wait', () => {
    const { clock, sockets, driver, open } = silentWorld(silenceLimitMs);
    open();
    expect(driver.state.status).toBe('open');
    sockets[0]!.handlers.onMessage('2');
    clock.advance(silenceLimitMs - 1_000);
    sockets[0]!.handlers.onMessage('2');
    clock.advance(silenceLimitMs - 1_000);
    expect(sockets).toHaveLength(1);
    expect(sockets[0]!.closedWith).toBeUndefined();
    clock.advance(2_000);
    expect(sockets[0]!.closedWith).toBe('silent');
    clock.advance(1_000);
    expect(sockets).toHaveLength(2);
  });

  it('is left alone when the dialect names no limit', () => {
    const { clock, sockets, driver, open } = silentWorld(undefined);
    open();
    sockets[0]!.handlers.onMessage('2');
    clock.advance(10 * silenceLimitMs);
    expect(sockets).toHaveLength(1);
    expect(driver.state.status).toBe('open');
  });
});
