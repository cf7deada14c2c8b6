import { afterEach, describe, expect, it } from 'vitest';
import { serveRpc } from '../../src/link/rpc-server.ts';
import { RpcError, createRpcClient } from '../../src/link/rpc.ts';

const channels: MessageChannel[] = [];
function pair() {
  const channel = new MessageChannel();
  channels.push(channel);
  return channel;
}
afterEach(() => {
  for (const channel of channels.splice(0)) {
    channel.port1.close();
    channel.port2.close();
  }
});

describe('rpc', () => {
  it('calls named methods and returns their (async) results', async () => {
    const { port1, port2 } = pair();
    serveRpc(port2, () => ({ add: (a: number, b: number) => a + b, later: async (x: string) => `${x}!` }));
    const client = createRpcClient(port1);
    await expect(client.call('add', [2, 3])).resolves.toBe(5);
    await expect(client.call('later', ['hi'])).resolves.toBe('hi!');
  });

  it('turns thrown errors into plain data with a code', async () => {
    const { port1, port2 } = pair();
    serveRpc(port2, () => ({
      coded: () => {
        throw { code: 'BUFFER_FULL', message: 'full' };
      },
      plain: () => {
        throw new TypeError('boom');
      },
    }));
    const client = createRpcClient(port1);
    await expect(client.call('coded', [])).rejects.toMatchObject({ data: { code: 'BUFFER_FULL', message: 'full' } });
    await expect(client.call('plain', [])).rejects.toMatchObject({ data: { code: 'INTERNAL', message: 'boom' } });
    await expect(client.call('missing', [])).rejects.toMatchObject({ data: { code: 'INVALID_ARGUMENT' } });
  });

  it('rejects every call in flight when the peer is declared lost, and every later one', async () => {
    const { port1, port2 } = pair();
    serveRpc(port2, () => ({ never: () => new Promise(() => {}) }));
    const client = createRpcClient(port1);
    const inFlight = client.call('never', []);
    client.failAll({ code: 'WORKER_LOST', message: 'gone' });
    await expect(inFlight).rejects.toBeInstanceOf(RpcError);
    await expect(inFlight).rejects.toMatchObject({ data: { code: 'WORKER_LOST' } });
    await expect(client.call('never', [])).rejects.toMatchObject({ data: { code: 'WORKER_LOST' } });
  });

  it('rejects what is in flight with CLOSED when disposed', async () => {
    const { port1, port2 } = pair();
    serveRpc(port2, () => ({ never: () => new Promise(() => {}) }));
    const client = createRpcClient(port1);
    const inFlight = client.call('never', []);
    client.dispose();
    await expect(inFlight).rejects.toMatchObject({ data: { code: 'CLOSED' } });
  });

  it('refuses arguments that cannot be cloned, without sending anything', async () => {
    const { port1, port2 } = pair();
    let calls = 0;
    serveRpc(port2, () => ({ take: () => calls++ }));
    const client = createRpcClient(port1);
    await expect(client.call('take', [() => 1])).rejects.toMatchObject({ data: { code: 'INVALID_ARGUMENT' } });
    expect(calls).toBe(0);
  });

  it('hands transferred ports to the handler', async () => {
    const { port1, port2 } = pair();
    serveRpc(port2, (ports) => ({ attach: () => ports.length }));
    const client = createRpcClient(port1);
    const extra = pair();
    await expect(client.call('attach', [], [extra.port2])).resolves.toBe(1);
  });
});
