/**
 * The replay's judgement of completeness against endpoints that cut long
 * answers differently, and its handling of an endpoint that does not exist.
 */
import { describe, expect, it } from 'vitest';
import type { BrokerConfig } from '../../../src/link/messages.ts';
import type { Envelope } from '../../../src/link/envelope.ts';
import { type RelayedEvent, type ReplayPort, ReplayError, fetchMissedEvents, maxBodyBytesFor, replayMissed } from '../../../src/broker/replay.ts';
import { FakeClock } from '../../support/fake-clock.ts';

const t0 = Date.UTC(2025, 10, 3, 14, 0);
const iso = (ms: number) => new Date(ms).toISOString();
/** Events one second apart from t0 + 1 s: the gap began at t0. */
const stored = (count: number): Envelope[] =>
  Array.from({ length: count }, (_, i) => ({ type: 'goal.created', timestamp: iso(t0 + (i + 1) * 1000), data: { goalId: `g${i}`, tenantId: 't' } }));

type Policy = 'newest' | 'oldest';

/** An events-since endpoint over `events` answering at most `limit`: the newest ones, or the oldest after `since`. */
function endpoint(events: Envelope[], policy: Policy, limit = 100) {
  const requests: string[] = [];
  const fetch = (async (input: URL | RequestInfo) => {
    const since = Date.parse(new URL(String(input)).searchParams.get('since')!);
    requests.push(iso(since));
    const after = events.filter((e) => Date.parse(e.timestamp) >= since);
    const page = policy === 'newest' ? after.slice(-limit) : after.slice(0, limit);
    return new Response(JSON.stringify(page), { status: 200 });
  }) as typeof globalThis.fetch;
  return { fetch, requests };
}

function port(fetch: typeof globalThis.fetch, clock = new FakeClock(), refresh = async () => true) {
  const delivered: RelayedEvent[] = [];
  const result: { ok?: boolean; count?: number; complete?: boolean; errors: string[] } = { errors: [] };
  const config = { eventsSinceUrl: 'https://api.test/api/events', replayOverlapMs: 1000, replayLimit: 100, replayTimeoutMs: 5000, minDelayMs: 1000, maxFrameBytes: 1024 * 1024 } as BrokerConfig;
  const replayPort: ReplayPort = {
    config,
    baseUrl: 'https://app.test/',
    fetch,
    clock,
    tenantId: () => 't',
    current: () => true,
    token: async () => ({ ok: true, token: 'secret' }),
    refresh,
    known: async () => new Set<string>(),
    admit: (envelope: Envelope, at: number) => ({ envelope, at, key: String(envelope.data.goalId), text: JSON.stringify(envelope), tenant: 't' }),
    deliver: (events) => (delivered.push(...events), events.length),
    release: () => {},
    finished: (ok, count, complete) => Object.assign(result, { ok, count, complete }),
    report: (error) => result.errors.push(error.code),
  };
  return { replayPort, delivered, result, clock };
}

/** Run a replay while letting its timers pass: `seconds` of fake time, a second at a step. */
async function replayWithTime(replayPort: ReplayPort, clock: FakeClock, seconds = 10): Promise<void> {
  const done = replayMissed(replayPort, t0);
  for (let i = 0; i < seconds; i++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
    clock.advance(1000);
  }
  await done;
}

describe('replay completeness', () => {
  it('a short answer covers the gap', async () => {
    const { fetch, requests } = endpoint(stored(30), 'newest');
    const { replayPort, delivered, result } = port(fetch);
    await replayMissed(replayPort, t0);
    expect(delivered).toHaveLength(30);
    expect(result).toMatchObject({ ok: true, count: 30, complete: true });
    expect(requests).toHaveLength(1);
  });

  it('an endpoint keeping the newest 100 of 250: incomplete (the start of the gap is lost), newest 100 delivered', async () => {
    const { fetch } = endpoint(stored(250), 'newest');
    const { replayPort, delivered, result } = port(fetch);
    await replayMissed(replayPort, t0);
    expect(delivered.map((e) => e.envelope.data.goalId)).toEqual(stored(250).slice(-100).map((e) => e.data.goalId));
    expect(result).toMatchObject({ ok: true, complete: false });
  });

  it('an endpoint paging forward from since: asks again from the newest until a short page, complete, in order', async () => {
    // The event at the gap's start is in the overlap window, so the first page reaches back to it.
    const events = [{ type: 'goal.created', timestamp: iso(t0), data: { goalId: 'seen', tenantId: 't' } }, ...stored(250)];
    const { fetch, requests } = endpoint(events, 'oldest');
    const { replayPort, delivered, result } = port(fetch);
    await replayMissed(replayPort, t0);
    expect(requests.length).toBeGreaterThanOrEqual(3);
    expect(delivered).toHaveLength(251);
    expect(delivered.map((e) => e.at)).toEqual([...delivered.map((e) => e.at)].sort((a, b) => a - b));
    expect(result).toMatchObject({ ok: true, complete: true });
  });

  it('an endpoint paging forward that runs past the page budget: incomplete', async () => {
    const events = [{ type: 'goal.created', timestamp: iso(t0), data: { goalId: 'seen', tenantId: 't' } }, ...stored(900)];
    const { fetch } = endpoint(events, 'oldest');
    const { replayPort, result } = port(fetch);
    await replayMissed(replayPort, t0);
    expect(result).toMatchObject({ ok: true, complete: false });
  });
});

describe('replay failures', () => {
  it.each([
    [404, 'an endpoint that does not exist'],
    [403, 'FORBIDDEN ("do not retry")'],
  ])('%i (%s) is not retried: REPLAY_FAILED at once, incomplete', async (status) => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response('no', { status });
    }) as typeof globalThis.fetch;
    const { replayPort, result } = port(fetch);
    await replayMissed(replayPort, t0);
    expect(calls).toBe(1);
    expect(result).toMatchObject({ ok: false, complete: false, errors: ['REPLAY_FAILED'] });
  });

  it('a server error (500) is retried with backoff, then reported', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response('oops', { status: 500 });
    }) as typeof globalThis.fetch;
    const { replayPort, result, clock } = port(fetch);
    await replayWithTime(replayPort, clock);
    expect(calls).toBe(3);
    expect(result).toMatchObject({ ok: false, errors: ['REPLAY_FAILED'] });
  });

  it('a 401 (the token expired since the handshake) refreshes once, in one tab, and asks again at once', async () => {
    const tokens: string[] = [];
    let refreshes = 0;
    const events = stored(3);
    const fetch = (async (_input: URL | RequestInfo, init?: RequestInit) => {
      const auth = (init?.headers as Record<string, string>).Authorization!;
      tokens.push(auth);
      if (auth === 'Bearer old') return new Response('expired', { status: 401 });
      return new Response(JSON.stringify(events), { status: 200 });
    }) as typeof globalThis.fetch;
    let current = 'old';
    const { replayPort, delivered, result } = port(fetch, new FakeClock(), async () => {
      refreshes++;
      current = 'new';
      return true;
    });
    replayPort.token = async () => ({ ok: true, token: current });
    // No clock advance: the retry after a refresh does not wait for the backoff.
    await replayMissed(replayPort, t0);
    expect(refreshes).toBe(1);
    expect(tokens).toEqual(['Bearer old', 'Bearer new']);
    expect(delivered).toHaveLength(3);
    expect(result).toMatchObject({ ok: true, complete: true });
  });

  it('a 401 after a refresh, or a refresh refused, ends the replay: REPLAY_FAILED, incomplete, one refresh', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return new Response('expired', { status: 401 });
    }) as typeof globalThis.fetch;
    for (const refreshWorks of [true, false]) {
      calls = 0;
      let refreshes = 0;
      const { replayPort, result, clock } = port(fetch, new FakeClock(), async () => {
        refreshes++;
        return refreshWorks;
      });
      await replayWithTime(replayPort, clock);
      expect(refreshes).toBe(1);
      expect(calls).toBe(refreshWorks ? 2 : 1);
      expect(result).toMatchObject({ ok: false, complete: false, errors: ['REPLAY_FAILED'] });
    }
  });
});

/** A response whose headers came and whose body sends `prefix`, then never ends. */
function stalledResponse(prefix = '[{"type":"goal.created",'): Response {
  const body = new ReadableStream<Uint8Array>({
    start(controller) {
      controller.enqueue(new TextEncoder().encode(prefix));
    },
  });
  return new Response(body, { status: 200, headers: { 'Content-Type': 'application/json' } });
}

describe('replay bodies that stall or run long', () => {
  it('a body that never ends, on every attempt: each attempt times out, live events are released, REPLAY_FAILED, incomplete', async () => {
    let calls = 0;
    const fetch = (async () => {
      calls++;
      return stalledResponse();
    }) as typeof globalThis.fetch;
    const { replayPort, result, clock } = port(fetch);
    let releases = 0;
    replayPort.release = () => void releases++;
    await replayWithTime(replayPort, clock, 30);
    expect(calls).toBe(3);
    expect(releases).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ ok: false, count: 0, complete: false, errors: ['REPLAY_FAILED'] });
  });

  it('a body that stalls once is retried; the next answer covers the gap', async () => {
    const events = stored(2);
    let calls = 0;
    const fetch = (async () => (++calls === 1 ? stalledResponse() : new Response(JSON.stringify(events), { status: 200 }))) as typeof globalThis.fetch;
    const { replayPort, delivered, result, clock } = port(fetch);
    await replayWithTime(replayPort, clock);
    expect(calls).toBe(2);
    expect(delivered).toHaveLength(2);
    expect(result).toMatchObject({ ok: true, complete: true });
  });

  it('the timeout runs on the injected clock: nothing gives up before it', async () => {
    const fetch = (async () => stalledResponse()) as typeof globalThis.fetch;
    const { replayPort, result, clock } = port(fetch);
    let releases = 0;
    replayPort.release = () => void releases++;
    void replayMissed(replayPort, t0);
    for (let i = 0; i < 4; i++) {
      await new Promise((resolve) => setTimeout(resolve, 0));
      clock.advance(1000);
    }
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(releases).toBe(0);
    expect(result.ok).toBeUndefined();
    clock.advance(1000);
    await new Promise((resolve) => setTimeout(resolve, 0));
    // The first attempt gave up: held live events go through while the next one waits.
    expect(releases).toBe(1);
  });

  it('an answer larger than the byte cap is aborted: a clear error without the token', async () => {
    const huge = new Uint8Array(1024 * 1024).fill(0x20);
    let cancelled = 0;
    const fetch = (async () => {
      const body = new ReadableStream<Uint8Array>({
        pull(controller) {
          controller.enqueue(huge);
        },
        cancel() {
          cancelled++;
        },
      });
      return new Response(body, { status: 200 });
    }) as typeof globalThis.fetch;
    const { replayPort, result, clock } = port(fetch);
    const messages: string[] = [];
    replayPort.report = (error) => void messages.push(error.message);
    await replayWithTime(replayPort, clock);
    expect(result).toMatchObject({ ok: false, complete: false });
    expect(cancelled).toBe(3);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toMatch(/exceeds \d+ bytes/);
    expect(messages[0]).not.toContain('secret');
    expect(messages[0]).not.toContain('Bearer');
  });

  it('fetchMissedEvents: an answer over maxBodyBytes fails with ReplayError, never echoing the request', async () => {
    const fetch = (async () => new Response(JSON.stringify(stored(50)), { status: 200 })) as typeof globalThis.fetch;
    const request = {
      url: 'https://api.test/api/events',
      base: 'https://app.test/',
      sinceIso: iso(t0),
      token: 'secret',
      tenantId: 't',
      timeoutMs: 5000,
      maxBodyBytes: 1000,
      clock: new FakeClock(),
      fetch,
    };
    const error = await fetchMissedEvents(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ReplayError);
    expect((error as Error).message).toBe('events-since answer exceeds 1000 bytes');
    const answer = await fetchMissedEvents({ ...request, maxBodyBytes: 1_000_000 });
    expect(answer.events).toHaveLength(50);
  });

  it('a port that keeps failing (the log cannot be read) is retried, then releases live events and reports the gap incomplete', async () => {
    const { fetch } = endpoint(stored(3), 'newest');
    const { replayPort, result, clock } = port(fetch);
    let releases = 0;
    replayPort.release = () => void releases++;
    replayPort.known = async () => {
      throw new Error('IndexedDB went away');
    };
    await replayWithTime(replayPort, clock);
    expect(releases).toBeGreaterThanOrEqual(1);
    expect(result).toMatchObject({ ok: false, complete: false, errors: ['REPLAY_FAILED'] });
  });

  it('a token source that throws still ends the gap: live events released, incomplete', async () => {
    const { fetch } = endpoint(stored(3), 'newest');
    const { replayPort, result } = port(fetch);
    let releases = 0;
    replayPort.release = () => void releases++;
    replayPort.token = async () => {
      throw new Error('broken');
    };
    await replayMissed(replayPort, t0);
    expect(releases).toBe(1);
    expect(result).toMatchObject({ ok: false, complete: false, errors: ['REPLAY_FAILED'] });
  });

  it('the byte cap: replayLimit frames of maxFrameBytes (in UTF-8) and room for a wrapper, at most 8 MiB', () => {
    expect(maxBodyBytesFor({ replayLimit: 100, maxFrameBytes: 1024 * 1024 })).toBe(8 * 1024 * 1024);
    expect(maxBodyBytesFor({ replayLimit: 10, maxFrameBytes: 1000 })).toBe(30_000 + 64 * 1024);
  });
});
