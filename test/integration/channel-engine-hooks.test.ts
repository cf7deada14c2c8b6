/**
 * What a channel dialect asks of the engine beyond frames, against the real graphql-ws server
 * (test/support/graphql-server.ts) through the real broker: the socket opens with the dialect's
 * WebSocket subprotocols, and the dialect reads the socket's close before the driver acts on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { graphqlWsProtocol } from '../../src/broker/protocol/graphql-ws/graphql-ws-protocol.ts';
import { type World, createWorld, until } from '../support/broker-world.ts';
import { disposeGraphqlServers, startGraphqlServer } from '../support/graphql-server.ts';

let world: World | undefined;
afterEach(async () => {
  await world?.dispose();
  world = undefined;
  await disposeGraphqlServers();
});

describe('a channel dialect in the engine, beyond frames', () => {
  it("opens the socket with the dialect's subprotocols, so a graphql-ws server keeps it", async () => {
    const server = await startGraphqlServer();
    // The connection params carry the credential the server accepts: no tab token involved.
    const protocol = graphqlWsProtocol({ auth: 'cookie', connectionParams: { authorization: 'good-token' } });
    world = await createWorld({ deps: { protocol }, config: { url: server.url } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('open'));
    expect(server.counts).toMatchObject({ sockets: 1, handshakes: 1 });
  });

  it('reads a refusal from the close code during the handshake: the token is refreshed once, then the session stops as unauthorized', async () => {
    // The server accepts none of the world's tokens: it closes each handshake with 4403.
    const server = await startGraphqlServer({ tokens: ['nobody-has-this'] });
    world = await createWorld({ deps: { protocol: graphqlWsProtocol() }, config: { url: server.url } });
    const tab = await world.tab();
    await until(() => expect(tab.status).toBe('unauthorized'));
    expect(tab.states.map((s) => s.reason)).toContain('token-refresh');
    expect(server.counts.refused).toBe(2);
  });
});
