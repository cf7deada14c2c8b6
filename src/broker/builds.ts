/**
 * Builds announce themselves (docs/architecture.md, rule 10). Every broker says which build
 * it runs on an origin-wide BroadcastChannel and answers the same question from
 * others; a broker that hears of a newer build for its endpoint tells its tabs,
 * which move over when the app lets them. Only brokers of one app's
 * connection (`appIdentity`) hear each other: two apps on one origin never merge. That is how, after a deploy, the
 * browser converges to one socket on the new code without forcing a reload.
 */
import { appIdentity } from '../link/app-identity.ts';
import type { BrokerConfig, UpgradeNotice } from '../link/messages.ts';

/** Who a broker is, as other builds see it. */
export interface BuildInfo {
  buildId: string;
  /** When this build was made (ms): of two builds, the later one is newer. */
  builtAt: number;
  /** How tabs reach this broker: a SharedWorker (script + name) or a leader tab. */
  mode: 'worker' | 'leader';
  /** The worker's script URL and name, so a tab of another build can attach to this very worker. */
  script?: string;
  name?: string;
  linkVersion: number;
}

/** `app`: the app connection a broker serves (`appIdentity`); brokers of other apps' connections ignore it. */
type Announcement = BuildInfo & { k: 'build'; app: string; startedAt: number };
type Question = { k: 'who'; app: string };

const channelName = 'tabwire-builds';

export class BuildRadio {
  readonly #self: BuildInfo;
  readonly #startedAt: number;
  readonly #onNewer: (notice: UpgradeNotice) => void;
  #channel: BroadcastChannel | undefined;
  #app: string | undefined;
  #newest: Announcement | undefined;

  constructor(self: BuildInfo, startedAt: number, onNewer: (notice: UpgradeNotice) => void) {
    this.#self = self;
    this.#startedAt = startedAt;
    this.#onNewer = onNewer;
  }

  /**
   * Start announcing for the app connection `config` names (once the first tab said which this
   * broker serves): builds of one app's connection hear of each other, never of another app's.
   */
  listen(config: BrokerConfig): void {
    if (this.#channel || typeof BroadcastChannel !== 'function') return;
    const app = appIdentity(config);
    this.#app = app;
    this.#channel = new BroadcastChannel(channelName);
    this.#channel.onmessage = (event: MessageEvent<Announcement | Question>) => this.#hear(event.data);
    this.#announce();
    this.#channel.postMessage({ k: 'who', app } satisfies Question);
  }

  /** The newest other build heard of, as a notice for tabs attaching late. */
  get newer(): UpgradeNotice | undefined {
    return this.#newest && this.#notice(this.#newest);
  }

  close(): void {
    this.#channel?.close();
    this.#channel = undefined;
  }

  #announce(): void {
    this.#channel?.postMessage({ ...this.#self, k: 'build', app: this.#app!, startedAt: this.#startedAt } satisfies Announcement);
  }

  #hear(message: Announcement | Question): void {
    if (message?.app !== this.#app) return;
    if (message.k === 'who') return this.#announce();
    if (message.k !== 'build' || message.buildId === this.#self.buildId) return;
    const newer =
      message.builtAt > this.#self.builtAt || (message.builtAt === this.#self.builtAt && message.startedAt > this.#startedAt);
    if (!newer) {
      // An older build started after us: tell it we exist, it will hear we are newer.
      this.#announce();
      return;
    }
    // Tell tabs once per build, and never of one older than what they were told.
    if (this.#newest && (this.#newest.buildId === message.buildId || this.#newest.builtAt > message.builtAt)) return;
    this.#newest = message;
    this.#onNewer(this.#notice(message));
  }

  #notice(build: Announcement): UpgradeNotice {
    return {
      buildId: build.buildId,
      mode: build.mode,
      ...(build.script !== undefined ? { script: build.script } : {}),
      ...(build.name !== undefined ? { name: build.name } : {}),
      // A tab can move only where it speaks the link, and only to the same kind of host.
      compatible: build.linkVersion === this.#self.linkVersion && build.mode === this.#self.mode,
    };
  }
}
