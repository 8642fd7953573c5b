import type { ClientBase } from 'pg';
import type { SseBrokerPosition, SseBrokerPublishOptions } from '../sse-broker.interface.js';
import { newEpoch } from '../../protocol/event-id.js';
import { checkPublishOptions } from '../shared/broker-arguments.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import type { ResolvedPostgresSseOptions } from './resolve-postgres-sse-options.js';

/** What `sse_publish_v1()` returns. */
export interface PublishRow {
  r_epoch: string;
  r_seq: string;
}

/**
 * The values of `sse_publish_v1()` for one publish, its arguments checked
 * first (a `TypeError` naming the bad one): a channel name, a string payload
 * without U+0000 (PostgreSQL text cannot hold it), and the options. Pure.
 */
export function publishValues(
  settings: ResolvedPostgresSseOptions,
  notifyChannel: string,
  where: string,
  channel: string,
  payload: string,
  options: SseBrokerPublishOptions,
): unknown[] {
  const { except, idempotencyKey } = checkPublishOptions(POSTGRES_SSE_MESSAGES, where, channel, options);
  if (typeof payload !== 'string' || payload.includes('\u0000')) {
    throw new TypeError(POSTGRES_SSE_MESSAGES.invalidPayload(payload));
  }
  return [
    settings.namespace,
    channel,
    payload,
    except ?? null,
    idempotencyKey ?? null,
    newEpoch(),
    notifyChannel,
    settings.maxEvents,
    settings.maxAgeMs,
    settings.maxChannels,
    settings.maxChannelBytes,
    settings.maxBytes,
    settings.idempotencyTtlMs,
    settings.maxIdempotencyKeys,
  ];
}

/** The position of the row `sse_publish_v1()` returned. */
export function positionOf(rows: readonly PublishRow[]): SseBrokerPosition {
  return { epoch: rows[0].r_epoch, seq: Number(rows[0].r_seq) };
}

/** Whether `client` has no transaction open (`false` when `pg` is too old to tell). */
export function outsideTransaction(client: ClientBase): boolean {
  return (client as Partial<Pick<ClientBase, 'getTransactionStatus'>>).getTransactionStatus?.() === 'I';
}
