import { formatValue, SSE_MESSAGES } from '../../sse.messages.js';

/** What an operation does in Redis that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type RedisSseEffect = 'publish' | 'send' | undefined;

/** Every text the Redis broker logs or throws. Each names the bad value or the state, and what to do. */
export const REDIS_SSE_MESSAGES = {
  invalidOption: (option: string, value: unknown, expected: string) =>
    SSE_MESSAGES.invalidOption(`RedisSseBroker ${option}`, value, expected),
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
  notConnected: (operation: string) =>
    `nestjs-event-stream: RedisSseBroker cannot ${operation} before connect(). SseModule connects it when the app starts; pass it as \`broker\` in SseModule.forRoot().`,
  closed: (operation: string) =>
    `nestjs-event-stream: RedisSseBroker cannot ${operation}: it was closed (the app is shutting down).`,
  alreadyConnected: () =>
    'nestjs-event-stream: RedisSseBroker.connect() was called twice; one broker serves one hub. Give each SseModule its own broker.',
  unavailable: (operation: string, target: string, reason: string) =>
    `RedisSseBroker: Redis at ${target} is unavailable (${reason}); could not ${operation}. Nothing was sent; local streams stay open. Retry once Redis is back.`,
  unanswered: (operation: string, target: string, reason: string, effect: RedisSseEffect) =>
    `RedisSseBroker: Redis at ${target} did not answer (${reason}) when asked to ${operation}${
      effect === 'publish'
        ? ': the event may have been published all the same (stored and delivered). Retry with the same idempotencyKey to publish it at most once.'
        : effect === 'send'
          ? ': the message may have been delivered all the same.'
          : '; local streams stay open. Retry once Redis answers again.'
    }`,
  publicUnavailable: (seconds: number, effect: RedisSseEffect, maybe: boolean) =>
    `Service temporarily unavailable${
      !effect
        ? ''
        : !maybe
          ? ': nothing was sent'
          : effect === 'publish'
            ? ': the event may have been published'
            : ': the message may have been delivered'
    }. Retry in ${seconds} ${seconds === 1 ? 'second' : 'seconds'}.`,
  refusing: (detail: string) =>
    `${detail} Requests that need Redis are answered 503, without these details, until it answers again (logged once per reason).`,
  invalidPublishOptions: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.publish(): the options must be an object ({ except?, idempotencyKey? }), got ${formatValue(value)}.`,
  refused: (operation: string, reason: string) =>
    `nestjs-event-stream: RedisSseBroker could not ${operation}: Redis answered ${reason}. Check that the server is Redis 6.2 or newer and that the user may run EVALSHA, PUBLISH and SUBSCRIBE on the key prefix.`,
  noAnswer: (ms: number) => `no answer within ${ms} ms`,
  connectionState: (status: string) => `the connection is ${status}`,
  connectionClosed: () => 'the connection closed',
  linkLost: (target: string, reason: string) =>
    `No connection to Redis at ${target} (${reason}). Until it is back, publishing fails and events from other instances pause; local streams stay open. Reconnecting.`,
  linkRestored: (target: string) =>
    `Reconnected to Redis at ${target}; streams are caught up on the events they missed.`,
  statusConnecting: (target: string, reason: string | undefined) =>
    `Connecting to Redis at ${target}${reason ? ` (${reason})` : ''}: the broker has not been up yet.`,
  statusDown: (target: string, reason: string) =>
    `No connection to Redis at ${target} (${reason}): joins, resumes and publishes fail with 503 until it is back.`,
  statusResyncing: (target: string) =>
    `Reconnected to Redis at ${target}: resubscribing, then streams catch up on what they missed.`,
  statusNotConnected: () => 'Not connected yet: SseModule connects the broker when the app starts.',
  statusClosed: () => 'The broker was closed (the app is shutting down).',
  startedWithoutRedis: (target: string, ms: number) =>
    `Redis at ${target} did not answer within ${ms} ms; the app starts without it and connects when Redis is reachable. Publishing fails until then. Raise connectTimeoutMs to wait longer.`,
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
  invalidExcept: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker: "except" must be a connection id (a string of at most 200 characters without line breaks), got ${formatValue(value)}.`,
  invalidPayload: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.publish(): the payload must be a string, got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.send(): not a broadcast, connection, user or disconnect message with string fields (payload, connectionId, userId, except): ${formatValue(value)}.`,
  invalidPosition: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.read(): the position must be { epoch: [a-z0-9]{1,16}, seq: a safe integer >= 0 }, got ${formatValue(value)}.`,
  invalidChannels: (value: unknown) =>
    `nestjs-event-stream: RedisSseBroker.read(): the channels must be an array of channel names, got ${formatValue(value)}.`,
  invalidLimit: (value: unknown, max: number) =>
    `nestjs-event-stream: RedisSseBroker.read(): limit must be an integer from 1 to ${max}, got ${formatValue(value)}. Read a long history page by page, from the position of the last event returned.`,
  lockNeedsBroker: (value: unknown) =>
    `nestjs-event-stream: new RedisSseScheduleLock(broker) takes the app's RedisSseBroker, got ${formatValue(value)}.`,
  invalidLockName: (value: unknown) =>
    `nestjs-event-stream: RedisSseScheduleLock.acquire(): the job name and tick key must make a string of 1 to 512 characters without control characters, got ${formatValue(value)}.`,
  invalidLockTtl: (value: unknown) =>
    `nestjs-event-stream: RedisSseScheduleLock.acquire(): ttlMs must be an integer >= 1, got ${formatValue(value)}.`,
} as const;
