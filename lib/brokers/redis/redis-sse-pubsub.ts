import type { Cluster, Redis } from 'ioredis';

/** A connection the broker runs commands on: a single server's, or a cluster's. */
export type RedisSseClient = Redis | Cluster;

/**
 * Which Pub/Sub a namespace uses, and how each side speaks it: classic
 * (`PUBLISH`/`SUBSCRIBE`, which a cluster sends to every node) or sharded
 * (`SPUBLISH`/`SSUBSCRIBE`, Redis 7.0+, which stays on the shard of the
 * channel's slot: on a cluster, the namespace's). The scripts publish with
 * `publishCommand`; the subscriber connection subscribes and hears with the
 * rest.
 */
export interface RedisSsePubSub {
  readonly sharded: boolean;
  /** The command the Lua scripts publish with. */
  readonly publishCommand: 'PUBLISH' | 'SPUBLISH';
  /** The event of the subscriber connection that carries a message (channel, text). */
  readonly messageEvent: 'message' | 'smessage';
  subscribe(subscriber: Redis, names: readonly string[]): Promise<unknown>;
  unsubscribe(subscriber: Redis, names: readonly string[]): Promise<unknown>;
  publish(client: RedisSseClient, channel: string, text: string): Promise<unknown>;
}

/** `PUBLISH`/`SUBSCRIBE`: what a single server has always used. */
export const CLASSIC_PUBSUB: RedisSsePubSub = {
  sharded: false,
  publishCommand: 'PUBLISH',
  messageEvent: 'message',
  subscribe: (subscriber, names) => subscriber.subscribe(...names),
  unsubscribe: (subscriber, names) => subscriber.unsubscribe(...names),
  publish: (client, channel, text) => client.publish(channel, text),
};

/** `SPUBLISH`/`SSUBSCRIBE` (Redis 7.0+). */
export const SHARDED_PUBSUB: RedisSsePubSub = {
  sharded: true,
  publishCommand: 'SPUBLISH',
  messageEvent: 'smessage',
  subscribe: (subscriber, names) => subscriber.ssubscribe(...names),
  unsubscribe: (subscriber, names) => subscriber.sunsubscribe(...names),
  publish: (client, channel, text) => client.spublish(channel, text),
};

/** The Pub/Sub of a namespace, from the option and what the server is (`sharded`: whether it knows `SPUBLISH`). */
export function pubSubFor(
  option: 'auto' | 'sharded' | 'classic',
  server: { readonly cluster: boolean; readonly sharded: boolean },
): RedisSsePubSub {
  if (option === 'sharded') return SHARDED_PUBSUB;
  if (option === 'classic') return CLASSIC_PUBSUB;
  return server.cluster && server.sharded ? SHARDED_PUBSUB : CLASSIC_PUBSUB;
}
