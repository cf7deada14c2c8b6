/**
 * Moving to a newer build's broker after a deploy (rule 10): hear the notice, tell the
 * app, and (with `upgrade: 'auto'`, or on `upgrade()`) attach to the newer broker first,
 * wait until it is open, then leave the old one after a short overlap, dropping events
 * that both deliver; channel messages wait meanwhile, and only the kept link's reach the
 * app (channel-hold.ts).
 */
import type { TabwireErrorData } from '../link/errors.ts';
import type { BrokerConfig, UpgradeNotice } from '../link/messages.ts';
import { hostName, isHostName } from '../link/host-name.ts';
import type { TabClock } from '../link/clock.ts';
import type { ConnectOptions } from './options.ts';
import type { ConnectionState } from './connection-state.ts';
import type { Router } from './router.ts';
import type { LinkManager } from './link-manager.ts';
import { type AppListeners, notify } from './listeners.ts';
import { toTabwireError, withTimeout } from './calls.ts';
import type { Link } from './link.ts';
import { type ChannelSink, type ChannelStreamMessage, channelHold } from './channel-hold.ts';

/** How long a tab that moved to a newer build still takes events from the old broker, in ms. */
const handoffOverlapMs = 1000;

export interface UpgradeParts {
  clock: TabClock;
  config: BrokerConfig;
  /** Its `upgrade`: 'manual' moves only on `upgrade()`. */
  options: Pick<ConnectOptions, 'upgrade'>;
  /** How long the newer broker may take to open before this tab stays, in ms. */
  callTimeoutMs: number;
  links: LinkManager;
  connection: ConnectionState;
  router: Router;
  listeners: AppListeners;
  emitError(error: TabwireErrorData, cause?: unknown): void;
  report(error: unknown): void;
}

export interface Upgrades {
  /** A broker announced a newer build on the stream. */
  announce(notice: UpgradeNotice): void;
  /** Move to the newest build announced; false when there is none, or it needs a reload, or it did not connect. */
  upgrade(): Promise<boolean>;
  /** This tab's channels, where channel messages go (bound once, by the stream). */
  bindChannels(channels: ChannelSink): void;
  /** A channel stream message of `from`: delivered, held while a move is under way, or dropped (channel-hold.ts). */
  channelMessage(from: Link, message: ChannelStreamMessage): void;
}

export function createUpgrades(parts: UpgradeParts): Upgrades {
  const { clock, config, links, connection, emitError } = parts;
  /** The newest build announced. */
  let newest: UpgradeNotice | undefined;
  let moving: Promise<boolean> | undefined;
  const hold = channelHold(links);

  /** Move to a newer build's broker: attach there first, then leave the old one, dropping events both deliver. */
  const move = (notice: UpgradeNotice): Promise<boolean> => {
    if (moving) return moving;
    // Decided before a move starts: a move that never starts is never under way.
    if (!notice.compatible || connection.closed || notice.buildId === links.target.buildId) return Promise.resolve(false);
    return (moving = (async () => {
      await links.ready;
      const previous = links.current;
      const target = { mode: notice.mode, buildId: notice.buildId, ...(notice.script ? { script: notice.script } : {}), ...(notice.name ? { name: notice.name } : {}) };
      // Channel messages wait from before the attach request takes each channel's position, until
      // the move ends: then only those of the link kept reach the app.
      hold.begin(previous);
      // The new broker may post events on its stream before its attach reply (two ports, no order
      // between them): from here both may relay the same live events, so repeats are dropped now.
      parts.router.openDedupeWindow();
      let kept = previous;
      try {
        const next = await links.moveTo(target);
        if (!next) return false;
        // Leave the old broker only once the new one is open: until then only the old one relays.
        const open = await withTimeout(clock, next.opened, 'opening the newer build', parts.callTimeoutMs).then(() => true, () => false);
        // The broker in use was lost meanwhile: the tab re-attaches on its own, its request carrying the
        // positions of what was delivered, so the held messages are dropped and the new link is not taken.
        if (!open || connection.closed || links.current !== previous) {
          links.stay(next);
          if (!open && !connection.closed) emitError({ code: 'TIMEOUT', message: 'the newer build did not connect; staying' });
          return false;
        }
        // From here both brokers relay until the old one lets go: drop what comes twice.
        // (Still within the task that said "open", so no event of the new link slipped by.)
        parts.router.openDedupeWindow();
        // The new broker's state: its messages were not ours to follow until now.
        links.adopt(next);
        kept = next;
      } catch (error) {
        emitError({ code: toTabwireError(error).code, message: 'could not move to the newer build; staying' }, error);
        return false;
      } finally {
        moving = undefined;
        hold.end(kept, kept !== previous);
      }
      if (previous) {
        // Stop following the old broker's fate now, but keep its events a while: its socket may
        // be behind the new one (tens of ms under load), and an event it had yet to relay would be
        // lost by leaving at once (seen: 1 in ~6 deploys on a loaded machine). Repeats are dropped.
        previous.watch.abort();
        clock.setTimeout(() => void links.leave(previous), handoffOverlapMs);
      }
      return true;
    })());
  };

  return {
    announce(notice) {
      // Builds announce themselves per app connection (`appIdentity`): a newer worker of another app or account is not ours.
      if (notice.name !== undefined && isHostName(notice.name) && notice.name !== hostName(notice.buildId, config)) return;
      if (newest?.buildId === notice.buildId) return;
      newest = notice;
      notify(parts.listeners.upgrade, notice, parts.report);
      if (parts.options.upgrade !== 'manual' && notice.compatible) void move(notice);
    },
    upgrade: () => (newest ? move(newest) : Promise.resolve(false)),
    bindChannels: hold.bind,
    channelMessage: hold.take,
  };
}
