import { formatValue } from '../../sse.messages.js';
import { brokerMessages, type BrokerEffect } from '../shared/broker-messages.js';

/** What an operation does in PostgreSQL that a client cares about if it may have happened: none (a read, a join), a publish, a send. */
export type PostgresSseEffect = BrokerEffect;

/** The sentences every broker says alike, for this one (`brokerMessages()`). */
const COMMON = brokerMessages('PostgresSseBroker', 'PostgreSQL');

/** Every text the PostgreSQL broker logs or throws. Each names the bad value or the state, and what to do. */
export const POSTGRES_SSE_MESSAGES = {
  ...COMMON,
  urlAndPool: () =>
    'nestjs-event-stream: PostgresSseBroker takes either `url` (it opens its own pool) or `pool` (it runs its commands on yours), not both.',
  refused: (operation: string, reason: string) =>
    `nestjs-event-stream: PostgresSseBroker could not ${operation}: PostgreSQL answered "${reason}". Check that the database user may use the broker's tables and functions (see postgresSseSchemaSql()) and that the server is PostgreSQL 13 or newer.`,
  notListeningYet: () => 'its LISTEN connection is not set up yet',
  statusDown: (target: string, reason: string) =>
    `No connection to PostgreSQL at ${target} (${reason}): joins, resumes and publishes fail with 503 until it is back.`,
  statusResyncing: (target: string) =>
    `Reconnected to PostgreSQL at ${target}: listening again, then streams catch up on what they missed.`,
  statusStalled: (target: string, ms: number) =>
    `PostgreSQL at ${target} does not answer (${ms} ms): it is connected but its commands time out; joins, resumes and publishes fail with 503 until it answers again.`,
  startedWithoutPostgres: COMMON.startedWithout,
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
  invalidPayload: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.publish(): the payload must be a string without U+0000 (PostgreSQL text cannot hold it), got ${formatValue(value)}.`,
  invalidMessage: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.send(): not a broadcast, connection, user, disconnect or revoke message with string fields without U+0000: ${formatValue(value)}.`,
  invalidClient: (value: unknown) =>
    `nestjs-event-stream: PostgresSseBroker.publishIn() takes a pg client (a Client, or a PoolClient from pool.connect()) with the caller's transaction open on it, got ${formatValue(value)}.`,
  publishInWithoutTransaction: () =>
    'PostgresSseBroker.publishIn() ran on a client with no transaction open: the event was published at once, as by publish(), but without its commandTimeoutMs and 503 answers. Run BEGIN on the client first, or call publish(). (Said once.)',
} as const;
