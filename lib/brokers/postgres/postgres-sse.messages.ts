import { formatValue, SSE_MESSAGES } from '../../sse.messages.js';

/** What an operation does in PostgreSQL that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type PostgresSseEffect = 'publish' | 'send' | undefined;

/** Every text the PostgreSQL broker logs or throws. Each names the bad value or the state, and what to do. */
export const POSTGRES_SSE_MESSAGES = {
  invalidOption: (option: string, value: unknown, expected: string) =>
    SSE_MESSAGES.invalidOption(`PostgresSseBroker ${option}`, value, expected),
  urlAndPool: () =>
    'nestjs-event-stream: PostgresSseBroker takes either `url` (it opens its own pool) or `pool` (it runs its commands on yours), not both.',
  notConnected: (operation: string) =>
    `nestjs-event-stream: PostgresSseBroker cannot ${operation} before connect(). SseModule connects it when the app starts; pass it as \`broker\` in SseModule.forRoot().`,
  closed: (operation: string) =>
    `nestjs-event-stream: PostgresSseBroker cannot ${operation}: it was closed (the app is shutting down).`,
  alreadyConnected: () =>
    'nestjs-event-stream: PostgresSseBroker.connect() was called twice; one broker serves one hub. Give each SseModule its own broker.',
  unavailable: (operation: string, target: string, reason: string) =>
    `PostgresSseBroker: PostgreSQL at ${target} is unavailable (${reason}); could not ${operation}. Nothing was sent; local streams stay open. Retry once PostgreSQL is back.`,
  unanswered: (operation: string, target: string, reason: string, effect: PostgresSseEffect) =>
    `PostgresSseBroker: PostgreSQL at ${target} did not answer (${reason}) when asked to ${operation}${
      effect === 'publish'
        ? ': the event may have been published all the same (stored and delivered). Retry with the same idempotencyKey to publish it at most once.'
        : effect === 'send'
          ? ': the message may have been delivered all the same.'
          : '; local streams stay open. Retry once PostgreSQL answers again.'
    }`,
  publicUnavailable: (seconds: number, effect: PostgresSseEffect, maybe: boolean) =>
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
    `${detail} Requests that need PostgreSQL are answered 503, without these details, until it answers again (logged once per reason).`,
  refused: (operation: string, reason: string) =>
    `nestjs-event-stream: PostgresSseBroker could not ${operation}: PostgreSQL answered "${reason}". Check that the database user may use the broker's tables and functions (see postgresSseSchemaSql()) and that the server is PostgreSQL 13 or newer.`,
  noAnswer: (ms: number) => `no answer within ${ms} ms`,
  connectionClosed: () => 'the connection closed',
  notListeningYet: () => 'its LISTEN connection is not set up yet',
  linkLost: (target: string, reason: string) =>
    `No connection to PostgreSQL at ${target} (${reason}). Until it is back, publishing fails and events from other instances pause; local streams stay open. Reconnecting.`,
  linkRestored: (target: string) =>
    `Reconnected to PostgreSQL at ${target}; streams are caught up on the events they missed.`,
  statusConnecting: (target: string, reason: string | undefined) =>
    `Connecting to PostgreSQL at ${target}${reason ? ` (${reason})` : ''}: the broker has not been up yet.`,
  statusDown: (target: string, reason: string) =>
    `No connection to PostgreSQL at ${target} (${reason}): joins, resumes and publishes fail with 503 until it is back.`,
  statusResyncing: (target: string) =>
    `Reconnected to PostgreSQL at ${target}: listening again, then streams catch up on what they missed.`,
  statusStalled: (target: string, ms: number) =>
    `PostgreSQL at ${target} does not answer (${ms} ms): it is connected but its commands time out; joins, resumes and publishes fail with 503 until it answers again.`,
  statusNotConnected: () => 'Not connected yet: SseModule connects the broker when the app starts.',
  statusClosed: () => 'The broker was closed (the app is shutting down).',
  startedWithoutPostgres: (target: string, ms: number) =>
    `PostgreSQL at ${target} did not answer within ${ms} ms; the app starts without it and connects when PostgreSQL is reachable. Publishing fails until then. Raise connectTimeoutMs to wait longer.`,
  setupFailed: (target: string, reason: string, retryMs: number) =>
    `Could not set up the PostgreSQL broker at ${target}: ${reason}. It retries in ${retryMs} ms, then with backoff (logged once until it succeeds). If the database user may not create tables, apply postgresSseSchemaSql() yourself.`,
  queueOverflow: (max: number, control: boolean) =>
    `More than ${max} notifications (or their bytes' worth) waited for their turn on the LISTEN connection: ${
      control ? 'revokes and disconnects past its allowance too' : 'broadcasts and targeted sends past that'
    } were dropped (channel events are caught up from history).`,
  spillLost: (reason: string) =>
    `A payload too large for a NOTIFY could not be read back from PostgreSQL (${reason}): a broadcast or targeted send was dropped, or a channel event is caught up from history.`,
  malformedNotification: (channel: string) =>
    `Ignored a malformed notification on PostgreSQL channel ${JSON.stringify(channel)}: another program notifies there, or instances of different versions share the namespace.`,
  poolError: (reason: string) => `An idle connection of the broker's pool failed (${reason}); the pool replaces it.`,
  invalidExcept: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker: "except" must be a connection id (a string of at most 200 characters without line breaks), got ${formatValue(value)}.`,
  invalidPayload: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.publish(): the payload must be a string without U+0000 (PostgreSQL text cannot hold it), got ${formatValue(value)}.`,
  invalidPublishOptions: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.publish(): the options must be an object ({ except?, idempotencyKey? }), got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.send(): not a broadcast, connection, user, disconnect or revoke message with string fields without U+0000: ${formatValue(value)}.`,
  invalidPosition: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.read(): the position must be { epoch: [a-z0-9]{1,16}, seq: a safe integer >= 0 }, got ${formatValue(value)}.`,
  invalidChannels: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.read(): the channels must be an array of channel names, got ${formatValue(value)}.`,
  invalidLimit: (value: unknown, max: number) =>
    `nestjs-event-stream: PostgresSseBroker.read(): limit must be an integer from 1 to ${max}, got ${formatValue(value)}. Read a long history page by page, from the position of the last event returned.`,
  invalidClient: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.publishIn() takes a pg client (a Client, or a PoolClient from pool.connect()) with the caller's transaction open on it, got ${formatValue(value)}.`,
  publishInWithoutTransaction: () =>
    'PostgresSseBroker.publishIn() ran on a client with no transaction open: the event was published at once, as by publish(), but without its commandTimeoutMs and 503 answers. Run BEGIN on the client first, or call publish(). (Said once.)',
  lockNeedsBroker: (value: unknown) =>
    `nestjs-event-stream: new PostgresSseScheduleLock(broker) takes the app's PostgresSseBroker, got ${formatValue(value)}.`,
  invalidLockName: (value: unknown) =>
    `nestjs-event-stream: PostgresSseScheduleLock.acquire(): the job name and tick key must make a string of 1 to 512 characters without control characters, got ${formatValue(value)}.`,
  invalidLockTtl: (value: unknown) =>
    `nestjs-event-stream: PostgresSseScheduleLock.acquire(): ttlMs must be an integer >= 1, got ${formatValue(value)}.`,
} as const;
