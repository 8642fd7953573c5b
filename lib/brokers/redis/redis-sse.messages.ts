import { formatValue } from '../../sse.messages.js';
import { brokerMessages, type BrokerEffect } from '../shared/broker-messages.js';

/** What an operation does in Redis that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type RedisSseEffect = BrokerEffect;

/** The sentences every broker says alike, for this one (`brokerMessages()`). */
const COMMON = brokerMessages('RedisSseBroker', 'Redis');

/** Every text the Redis broker logs or throws. Each names the bad value or the state, and what to do. */
export const REDIS_SSE_MESSAGES = {
  ...COMMON,
  urlAndClient: () =>
    'nestjs-event-stream: RedisSseBroker takes either `url` (it opens its own connections) or `client` (it duplicates yours), not both.',
  clusterNeedsClusterClient: () =>
    'nestjs-event-stream: RedisSseBroker: `cluster: true` with a `client` needs an ioredis `Cluster` (new Cluster([...])), got a `Redis`. Give the broker your Cluster, or leave `cluster` out for a single server.',
  clusterOptionsWithoutCluster: () =>
    "nestjs-event-stream: RedisSseBroker: `clusterNodes` and `clusterOptions` are for the broker's own Cluster: give them with `url` and `cluster: true` or `'auto'` (with a `client`, configure your Cluster itself).",
  /** `url` with its credentials redacted (`redactCredentials()`). */
  invalidClusterUrl: (url: string) =>
    `nestjs-event-stream: RedisSseBroker: ${JSON.stringify(url)} is not a redis:// or rediss:// URL of a cluster node (redis://[[user]:password@]host[:port]).`,
  /** `url` with its credentials redacted (`redactCredentials()`). */
  clusterDatabase: (url: string) =>
    `nestjs-event-stream: RedisSseBroker: ${JSON.stringify(url)} names a database, but a Redis Cluster has only database 0: leave the /db out and tell apps apart by keyPrefix.`,
  clusterTarget: (address: string) => (address ? `cluster node ${address}` : 'the cluster'),
  probing: () => 'asking the server whether it is a cluster node',
  notACluster: (target: string) =>
    `RedisSseBroker: \`cluster: true\`, but Redis at ${target} says it is not a cluster node (CLUSTER INFO answered an error): the broker stays down until it is one. Give the URL of a node of the cluster, or \`cluster: 'auto'\` (or leave \`cluster\` out) for a single server.`,
  slotMoved: () => "the namespace's slot moved to another master; following it",
  openFailed: (error: unknown) =>
    `RedisSseBroker could not open its connections once the server answered: ${error instanceof Error ? error.message : String(error)} The broker stays down (publishes and joins get 503); fix the options and restart the app.`,
  refused: (operation: string, reason: string) =>
    `nestjs-event-stream: RedisSseBroker could not ${operation}: Redis answered ${reason}. Check that the server is Redis 6.2 or newer and that the user may run EVALSHA, PUBLISH and SUBSCRIBE on the key prefix.`,
  connectionState: (status: string) => `the connection is ${status}`,
  statusDown: (target: string, reason: string) =>
    `No connection to Redis at ${target} (${reason}): joins, resumes and publishes fail with 503 until it is back.`,
  statusResyncing: (target: string) =>
    `Reconnected to Redis at ${target}: resubscribing, then streams catch up on what they missed.`,
  startedWithoutRedis: COMMON.startedWithout,
  subscribeFailed: (target: string, reason: string, retryMs: number) =>
    `Could not subscribe to Redis at ${target}: ${reason}. The broker is down (joins get 503) and retries in ${retryMs} ms, then with backoff up to every 2 s (logged once until it succeeds).`,
  statusStalled: (target: string, ms: number) =>
    `Redis at ${target} does not answer (${ms} ms): it is connected but its commands time out; joins, resumes and publishes fail with 503 until it answers again.`,
  heldOverflow: (max: number) =>
    `More than ${max} messages arrived while the subscription to Redis was being set up again: broadcasts and targeted sends past that many were dropped (channel events are caught up from history). Raise the RedisSseBroker option maxHeldMessages if this happens often.`,
  heartbeatFailed: (reason: string) =>
    `Could not write this instance's stream counts to Redis (${reason}); retrying at the next heartbeat.`,
  malformedMessage: (pubsubChannel: string) =>
    `Ignored a malformed message on Redis channel ${JSON.stringify(pubsubChannel)}: another program publishes there, or instances of different versions share the key prefix. Give each its own keyPrefix.`,
  invalidPayload: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.publish(): the payload must be a string, got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.send(): not a broadcast, connection, user or disconnect message with string fields (payload, connectionId, userId, except): ${formatValue(value)}.`,
} as const;
