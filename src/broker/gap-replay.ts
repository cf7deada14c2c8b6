/**
 * The replay of a gap through the events-since endpoint, for the gap coordinator: the replay code
 * (`replay.ts`, a chunk of its own) loaded on demand, and what it is given of the broker — the
 * session's floor and tenant, tokens, the ingest's checks, the fan-out. Every way it ends calls
 * `finished` once, so the gap machine always hears of it.
 */
import type { GapParts, ReplayModule } from './gap-coordinator.ts';

export type ReplayFinished = (ok: boolean, count: number, complete: boolean) => void;

/**
 * The replay code, loaded on demand; undefined when it could not be (a deploy removed the chunk,
 * the network blinked): that gap then ends incomplete, held events go out, and the next gap loads again.
 */
async function loadReplay(parts: GapParts, generation: number, finished: ReplayFinished): Promise<ReplayModule['replayMissed'] | undefined> {
  try {
    return (await (parts.loadReplay ?? (() => import('./replay.ts')))()).replayMissed;
  } catch {
    if (generation !== parts.driver.generation) return undefined;
    parts.ingest.releaseHeld();
    parts.report({ code: 'REPLAY_FAILED', message: 'could not replay missed events: the replay code failed to load' });
    finished(false, 0, false);
    return undefined;
  }
}

/** Replay what followed `since` (ms) for the connection of `generation`. */
export async function replayThroughEndpoint(parts: GapParts, since: number, generation: number, finished: ReplayFinished): Promise<void> {
  const { config, session, driver, tokens, log, ingest, fanout, counters } = parts;
  const replayMissed = await loadReplay(parts, generation, finished);
  if (!replayMissed) return;
  const notBefore = session.replayFloor;
  await replayMissed(
    {
      config,
      baseUrl: parts.baseUrl,
      fetch: parts.fetch,
      clock: parts.clock,
      tenantId: () => session.tenantId,
      ...(notBefore !== undefined ? { notBefore } : {}),
      current: () => generation === driver.generation,
      token: () => tokens.getToken(),
      cookie: parts.protocol.auth === 'cookie',
      // Each entry held to what a live frame is held to, and counted when refused.
      read: (value) => ingest.readReplayed(value),
      refresh: () => tokens.refresh(),
      known: async (from) => new Set(await log.keysSince(from)),
      // Checked here, remembered only once delivered: a failed attempt leaves its events to the next.
      admit: (envelope, at) => {
        const event = ingest.admit(envelope, at, undefined);
        return event && !ingest.seen(event.key) ? event : undefined;
      },
      deliver: (gathered) => {
        const missed = gathered.filter((event) => ingest.remember(event.key));
        fanout.sendReplayed(missed.map((event) => ({ text: event.text, type: event.envelope.type, tenant: event.tenant })));
        for (const event of missed) ingest.record(event);
        counters.replayed += missed.length;
        counters.eventsRelayed += missed.length;
        return missed.length;
      },
      release: () => ingest.releaseHeld(),
      finished,
      report: parts.report,
    },
    since,
  );
}
