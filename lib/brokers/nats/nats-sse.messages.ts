import { formatValue } from '../../sse.messages.js';
import { brokerMessages, type BrokerEffect } from '../shared/broker-messages.js';

/** What an operation does in NATS that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type NatsSseEffect = BrokerEffect;

/** The sentences every broker says alike, for this one (`brokerMessages()`). */
const COMMON = brokerMessages('NatsSseBroker', 'NATS');

/**
 * Every text the NATS broker logs or throws. Each names the bad value or the
 * state, and what to do. Only `linkLost` says "No connection to NATS" and
 * only `linkRestored` says "Reconnected to NATS" (one line each per outage).
 */
export const NATS_SSE_MESSAGES = {
  ...COMMON,
  serversAndConnection: () =>
    'nestjs-event-stream: NatsSseBroker takes either `servers` (it opens its own connection) or `connection` (it uses yours), not both.',
  refused: (operation: string, reason: string) =>
    `nestjs-event-stream: NatsSseBroker could not ${operation}: NATS answered ${reason}. Check that the server runs JetStream (nats-server -js, 2.9 or newer) and that the user may use the subjects sse.<namespace>.> and $JS.API.>.`,
  payloadTooLarge: (bytes: number, max: number) =>
    `nestjs-event-stream: NatsSseBroker cannot carry a payload of ${bytes} bytes: with its headers it is larger than the NATS server's max_payload (${max} bytes; the default is 1 MiB). Publish a smaller event (e.g. an id to fetch the data by), or raise max_payload in the server's configuration.`,
  eventOverMaxBytes: (size: number, max: number) =>
    `nestjs-event-stream: NatsSseBroker cannot publish an event that takes up to ${size} bytes in JetStream (its payload, subject and headers): the events stream keeps at most history.maxBytes (${max}) bytes, and would discard it as it stores it, before any instance received it. Raise history.maxBytes.`,
  connectionLost: () => 'the connection was lost',
  notSetUp: () => 'the JetStream streams of the broker are not set up yet',
  statusDown: (target: string, reason: string) =>
    `NATS at ${target} is unreachable (${reason}): joins, resumes and publishes fail with 503 until it is back.`,
  statusResyncing: (target: string) =>
    `NATS at ${target} is back: the broker restarts its consumer, then streams catch up on what they missed.`,
  startedWithoutNats: COMMON.startedWithout,
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
  invalidPayload: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.publish(): the payload must be a string, got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: NatsSseBroker.send(): not a broadcast, connection, user, disconnect or revoke message with string fields (payload, connectionId, userId, except, id): ${formatValue(value)}.`,
} as const;
