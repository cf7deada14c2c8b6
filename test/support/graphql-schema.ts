/**
 * The test GraphQL server's schema: `Query.hello(name)`, `Mutation.post(channel, text)` publishing
 * to `Subscription.ticks(channel)`, and `Subscription.goal(id)`, whose stream fails on a posted
 * `boom` (an `error` message mid-stream) and whose id `missing` is refused by its resolver (a
 * result with errors and no data, then `complete`: graphql-js reports a failed source stream so).
 */
import { GraphQLBoolean, GraphQLError, GraphQLID, GraphQLNonNull, GraphQLObjectType, GraphQLSchema, GraphQLString } from 'graphql';
import { PubSub } from './graphql-pubsub.ts';

const text = { type: new GraphQLNonNull(GraphQLString) };

async function* goalStatuses(statuses: AsyncGenerator<string, void, void>, id: string): AsyncGenerator<{ id: string; status: string }> {
  for await (const status of statuses) {
    if (status === 'boom') throw new Error(`goal ${id} broke`);
    yield { id, status };
  }
}

const Goal = new GraphQLObjectType({ name: 'Goal', fields: { id: { type: new GraphQLNonNull(GraphQLID) }, status: text } });

export function graphqlSchema(pubsub: PubSub<string>): GraphQLSchema {
  return new GraphQLSchema({
    query: new GraphQLObjectType({
      name: 'Query',
      fields: {
        hello: { type: GraphQLString, args: { name: { type: GraphQLString } }, resolve: (_, args: { name?: string }) => `hello ${args.name ?? 'world'}` },
      },
    }),
    mutation: new GraphQLObjectType({
      name: 'Mutation',
      fields: {
        post: {
          type: GraphQLBoolean,
          args: { channel: text, text },
          resolve: (_, args: { channel: string; text: string }) => pubsub.publish(args.channel, args.text) > 0,
        },
      },
    }),
    subscription: new GraphQLObjectType({
      name: 'Subscription',
      fields: {
        ticks: { type: GraphQLString, args: { channel: text }, subscribe: (_, args: { channel: string }) => pubsub.subscribe(args.channel), resolve: (value: unknown) => value },
        goal: {
          type: Goal,
          args: { id: { type: new GraphQLNonNull(GraphQLID) } },
          subscribe: (_, args: { id: string }) => {
            if (args.id === 'missing') throw new GraphQLError('no goal missing', { extensions: { code: 'NOT_FOUND' } });
            return goalStatuses(pubsub.subscribe(`goal:${args.id}`), args.id);
          },
          resolve: (value: unknown) => value,
        },
      },
    }),
  });
}
