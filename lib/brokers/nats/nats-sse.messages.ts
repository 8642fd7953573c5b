import { formatValue, SSE_MESSAGES } from '../../sse.messages.js';

/** What an operation does in NATS that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type NatsSseEffect = 'publish' | 'send' | undefined;

/**
 * Every text the NATS broker logs or throws. Each names the bad value or the
 * state, and what to do. Only `linkLost` says "No connection to NATS" and
 * only `linkRestored` says "Reconnected to NATS" (one line each per outage).
 */
export const NATS_SSE_MESSAGES = {
  invalidOption: (option: string, value: unknown, expected: string) =>
    SSE_MESSAGES.invalidOption(`NatsSseBroker ${option}`, value, expected),
  serversAndConnection: () =>
    'nestjs-event-stream: NatsSseBroker takes either `servers` (it opens its own connection) or `connection` (it uses yours), not both.',
  notConnected: (operation: string) =>
    `nestjs-event-stream: NatsSseBroker cannot ${operation} before connect(). SseModule connects it when the app starts; pass it as \`broker\` in SseModule.forRoot().`,
  closed: (operation: string) =>
    `nestjs-event-stream: NatsSseBroker cannot ${operation}: it was closed (the app is shutting down).`,
  alreadyConnected: () =>
    'nestjs-event-stream: NatsSseBroker.connect() was called twice; one broker serves one hub. Give each SseModule its own broker.',
  unavailable: (operation: string, target: string, reason: string) =>
    `NatsSseBroker: NATS at ${target} is unavailable (${reason}); could not ${operation}. Nothing was sent; local streams stay open. Retry once NATS is back.`,
  unanswered: (operation: string, target: string, reason: string, effect: NatsSseEffect) =>
    `NatsSseBroker: NATS at ${target} did not answer (${reason}) when asked to ${operation}${
      effect === 'publish'
        ? ': the event may have been published all the same (stored and delivered). Retry with the same idempotencyKey to publish it at most once.'
        : effect === 'send'
          ? ': the message may have been delivered all the same.'
          : '; local streams stay open. Retry once NATS answers again.'
    }`,
  publicUnavailable: (seconds: number, effect: NatsSseEffect, maybe: boolean) =>
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
    `${detail} Requests that need NATS are answered 503, without these details, until it answers again (logged once per reason).`,
  refused: (operation: string, reason: string) =>
    `nestjs-event-stream: NatsSseBroker could not ${operation}: NATS answered ${reason}. Check that the server runs JetStream (nats-server -js, 2.9 or newer) and that the user may use the subjects sse.<namespace>.> and $JS.API.>.`,
  payloadTooLarge: (bytes: number, max: number) =>
    `nestjs-event-stream: NatsSseBroker cannot carry a payload of ${bytes} bytes: with its headers it is larger than the NATS server's max_payload (${max} bytes; the default is 1 MiB). Publish a smaller event (e.g. an id to fetch the data by), or raise max_payload in the server's configuration.`,
  eventOverMaxBytes: (size: number, max: number) =>
    `nestjs-event-stream: NatsSseBroker cannot publish an event that takes up to ${size} bytes in JetStream (its payload, subject and headers): the events stream keeps at most history.maxBytes (${max}) bytes, and would discard it as it stores it, before any instance received it. Raise history.maxBytes.`,
  noAnswer: (ms: number) => `no answer within ${ms} ms`,
  connectionClosed: () => 'the connection closed',
  connectionLost: () => 'the connection was lost',
  notSetUp: () => 'the JetStream streams of the broker are not set up yet',
  linkLost: (target: string, reason: string) =>
    `No connection to NATS at ${target} (${reason}). Until it is back, publishing fails and events from other instances pause; local streams stay open. Reconnecting.`,
  linkRestored: (target: string) =>
    `Reconnected to NATS at ${target}; streams are caught up on the events they missed.`,
  statusConnecting: (target: string, reason: string | undefined) =>
    `Connecting to NATS at ${target}${reason ? ` (${reason})` : ''}: the broker has not been up yet.`,
  statusDown: (target: string, reason: string) =>
    `NATS at ${target} is unreachable (${reason}): joins, resumes and publishes fail with 503 until it is back.`,
  statusResyncing: (target: string) =>
    `NATS at ${target} is back: the broker restarts its consumer, then streams catch up on what they missed.`,
  statusNotConnected: () => 'Not connected yet: SseModule connects the broker when the app starts.',
  statusClosed: () => 'The broker was closed (the app is shutting down).',
  startedWithoutNats: (target: string, ms: number) =>
    `NATS at ${target} did not answer within ${ms} ms; the app starts without it and connects when NATS is reachable. Publishing fails until then. Raise connectTimeoutMs to wait longer.`,
  setupFailed: (target: string, reason: string, retryMs: number) =>
    `Could not set up the broker's JetStream streams and consumer on NATS at ${target} (three tries): ${reason}. The broker is down and retries every ${retryMs} ms (logged once until it succeeds).`,
  connectionEnded: (target: string, reason: string) =>
    `The connection to NATS at ${target} was closed for good (${reason}): the broker stays down. Restart the app once the cause is fixed.`,
  droppedContended: (attempts: number) =>
    `the dropped watermark changed under ${attempts} attempts in a row (other instances purging histories at once)`,
  maintenanceFailed: (channel: string, reason: string) =>
    `The event published to channel ${JSON.stringify(channel)} is stored, but enforcing the history bounds after it failed (${reason}); the next publish enforces them again.`,
  feedRestarted: (reason: string, position: number) =>
    `The broker's JetStream consumer lost its place (${reason}); starting it again after seq ${position}: streams catch up on what they missed.`,
  contended: (channel: string, attempts: number) =>
    `other instances published to channel ${JSON.stringify(channel)} first, ${attempts} times in a row, until the command timeout`,
  contendedDetail: (operation: string, reason: string) =>
    `NatsSseBroker: could not ${operation}: ${reason}. NATS is up and nothing was stored: the instances publish to this channel faster than they can take turns. Retry; if it recurs, raise commandTimeoutMs or spread the events over more channels.`,
  boundsUpdated: (stream: string) =>
    `JetStream stream ${stream} had other bounds than this instance's history options: updated to them. Give every instance of a namespace the same history options.`,
  malformedMessage: (subject: string) =>
    `Ignored a malformed message on NATS subject ${JSON.stringify(subject)}: another program publishes there, or instances of different versions share the namespace. Give each its own namespace.`,
  eventsDescription: (namespace: string, epoch: string) =>
    `nestjs-event-stream: the events of namespace ${namespace}, epoch ${epoch}`,
  channelsDescription: (namespace: string) =>
    `nestjs-event-stream: the channels with history of namespace ${namespace}, least recently published first`,
  invalidPublishOptions: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.publish(): the options must be an object ({ except?, idempotencyKey? }), got ${formatValue(value)}.`,
  invalidExcept: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker: "except" must be a connection id (a string of at most 200 characters without line breaks), got ${formatValue(value)}.`,
  invalidPayload: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.publish(): the payload must be a string, got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.send(): not a broadcast, connection, user, disconnect or revoke message with string fields (payload, connectionId, userId, except, id): ${formatValue(value)}.`,
  invalidPosition: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.read(): the position must be { epoch: [a-z0-9]{1,16}, seq: a safe integer >= 0 }, got ${formatValue(value)}.`,
  invalidChannels: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.read(): the channels must be an array of channel names, got ${formatValue(value)}.`,
  invalidLimit: (value: unknown, max: number) =>
    `nestjs-event-stream: NatsSseBroker.read(): limit must be an integer from 1 to ${max}, got ${formatValue(value)}. Read a long history page by page, from the position of the last event returned.`,
  lockNeedsBroker: (value: unknown) =>
    `nestjs-event-stream: new NatsSseScheduleLock(broker) takes the app's NatsSseBroker, got ${formatValue(value)}.`,
  invalidLockName: (value: unknown) =>
    `nestjs-event-stream: NatsSseScheduleLock.acquire(): the job name and tick key must make a string of 1 to 512 characters without control characters, got ${formatValue(value)}.`,
  invalidLockTtl: (value: unknown) =>
    `nestjs-event-stream: NatsSseScheduleLock.acquire(): ttlMs must be an integer >= 1, got ${formatValue(value)}.`,
} as const;
