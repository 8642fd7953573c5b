import { formatValue } from '../../sse.messages.js';

/** Every text the Redis adapter logs or throws. Each names the bad value or the state, and what to do. */
export const REDIS_SSE_MESSAGES = {
  invalidOption: (option: string, value: unknown, expected: string) =>
    `nestjs-event-stream: RedisSseAdapter option "${option}" must be ${expected}, got ${formatValue(value)}.`,
  urlAndClient: () =>
    'nestjs-event-stream: RedisSseAdapter takes either `url` (it opens its own connections) or `client` (it duplicates yours), not both.',
  notConnected: (operation: string) =>
    `nestjs-event-stream: RedisSseAdapter cannot ${operation} before connect(). SseModule connects it when the app starts; pass it as \`adapter\` in SseModule.forRoot().`,
  closed: (operation: string) =>
    `nestjs-event-stream: RedisSseAdapter cannot ${operation}: it was closed (the app is shutting down).`,
  unavailable: (operation: string, target: string, reason: string) =>
    `RedisSseAdapter: Redis at ${target} is unavailable (${reason}); could not ${operation}. Nothing was sent; local streams stay open. Retry once Redis is back.`,
  linkLost: (target: string, reason: string) =>
    `No connection to Redis at ${target} (${reason}). Until it is back, publishing fails and events from other instances pause; local streams stay open. Reconnecting.`,
  linkRestored: (target: string) =>
    `Reconnected to Redis at ${target}; streams are caught up on the events they missed.`,
  startedWithoutRedis: (target: string, ms: number) =>
    `Redis at ${target} did not answer within ${ms} ms; the app starts without it and connects when Redis is reachable. Publishing fails until then.`,
  invalidExcept: (value: unknown) =>
    `nestjs-event-stream: RedisSseAdapter: "except" must be a connection id (a string of at most 200 characters without line breaks), got ${formatValue(value)}.`,
  invalidPosition: (value: unknown) =>
    `nestjs-event-stream: RedisSseAdapter.replay(): the position must be { epoch: [a-z0-9]{1,16}, seq: a safe integer >= 0 }, got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: RedisSseAdapter.send(): not a broadcast, connection, user or disconnect message with string fields: ${formatValue(value)}.`,
  invalidLockName: (value: unknown) =>
    `nestjs-event-stream: RedisSseAdapter.acquireLock(): the lock name must be a string of 1 to 512 characters without control characters, got ${formatValue(value)}.`,
  invalidLockTtl: (value: unknown) =>
    `nestjs-event-stream: RedisSseAdapter.acquireLock(): ttlMs must be an integer >= 1, got ${formatValue(value)}.`,
  malformedMessage: (pubsubChannel: string) =>
    `Ignored a malformed message on Redis channel ${JSON.stringify(pubsubChannel)}: another program publishes there, or instances of different versions share the key prefix.`,
  ioredisMissing: () =>
    'nestjs-event-stream: RedisSseAdapter needs the optional package ioredis, which is not installed. Run `npm install ioredis`.',
  alreadyConnected: () =>
    'nestjs-event-stream: RedisSseAdapter.connect() was called twice; one adapter serves one hub.',
  subscribeFailed: (target: string, reason: string) =>
    `Could not subscribe to Redis at ${target}: ${reason}. Events from other instances do not arrive until the next reconnection.`,
  resyncFailed: (reason: string) => `The hub failed to catch streams up after a reconnection: ${reason}`,
  heartbeatFailed: (reason: string) =>
    `Could not write this instance's stream counts to Redis (${reason}); retrying at the next heartbeat.`,
} as const;
