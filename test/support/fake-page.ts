/**
 * Just enough of a browser page for unit tests of `connectBroker` in Node: Web Locks
 * in memory (`FakeLockManager`), no-op window listeners, and a fake SharedWorker whose
 * far end is a scripted broker (a control plane whose calls the test decides).
 */
import { vi } from 'vitest';
import type { AttachReply, AttachRequest, StreamMessage, TabAnswer } from '../../src/link/messages.ts';
import { serveControl } from '../../src/broker/control.ts';
import type { ControlApi } from '../../src/link/rpc.ts';
import type { ConnectionStatus, TransitionReason } from '../../src/link/states.ts';
import { FakeLockManager } from './fake-lock-manager.ts';

export interface ScriptedBroker {
  /** The attach requests received. */
  attaches: AttachRequest[];
  /** Ask the tab to run getToken or refreshToken; resolves with its answer. */
  ask(fn: 'getToken' | 'refreshToken'): Promise<TabAnswer>;
  /** Send the tab a stream message (an upgrade notice…). */
  notify(message: StreamMessage): void;
  /** The broker dies: its lock is released. */
  die(): void;
}

/** Install a page with a SharedWorker whose broker answers `calls` (and attach). Undo with `vi.unstubAllGlobals()`. */
export function fakePage(
  calls: Partial<ControlApi> = {},
  /** `attached`: the state the broker's attach reply tells (default `open`, `auth-accepted`). */
  page: { locks?: boolean; attached?: { status: ConnectionStatus; reason: TransitionReason } } = {},
) {
  const locks = new FakeLockManager();
  const ports: MessagePort[] = [];
  vi.stubGlobal('navigator', { onLine: true, ...(page.locks === false ? {} : { locks }) });
  vi.stubGlobal('addEventListener', () => {});
  vi.stubGlobal('removeEventListener', () => {});
  vi.stubGlobal('SharedWorker', class {});
  const brokers: ScriptedBroker[] = [];
  const worker = (): SharedWorker => {
    const control = new MessageChannel();
    ports.push(control.port1, control.port2);
    let stream: MessagePort | undefined;
    let nextAsk = 1;
    const answers = new Map<number, (answer: TabAnswer) => void>();
    const releaseBroker = locks.hold(`broker-lock-${brokers.length}`);
    const broker: ScriptedBroker = {
      attaches: [],
      ask(fn) {
        const id = nextAsk++;
        return new Promise<TabAnswer>((resolve) => {
          answers.set(id, resolve);
          stream!.postMessage({ k: 'ask', id, fn } satisfies StreamMessage);
        });
      },
      notify: (message) => stream!.postMessage(message),
      die: releaseBroker,
    };
    const brokerLock = `broker-lock-${brokers.length}`;
    brokers.push(broker);
    serveControl(control.port2, {
      ...calls,
      attach(request: AttachRequest, transferred?: MessagePort): AttachReply {
        broker.attaches.push(request);
        stream = transferred;
        if (stream) {
          ports.push(stream);
          stream.addEventListener('message', (event: MessageEvent) => {
            const answer = event.data as TabAnswer;
            answers.get(answer.id)?.(answer);
          });
          stream.start();
        }
        const { status, reason } = page.attached ?? { status: 'open', reason: 'auth-accepted' };
        return { brokerId: `broker-${brokers.indexOf(broker)}`, buildId: request.buildId, brokerLock, status, reason };
      },
      detach() {},
    });
    return { port: control.port1, addEventListener() {} } as unknown as SharedWorker;
  };
  return {
    locks,
    brokers,
    worker,
    /** Close every port, so Node can exit. */
    dispose() {
      for (const port of ports) port.close();
      vi.unstubAllGlobals();
    },
  };
}
