import type { Logger } from '@nestjs/common';
import type { StreamConfig, StreamInfo } from 'nats';
import { newEpoch } from '../../protocol/event-id.js';
import { apiErrorCode, JS_ERRORS } from './nats-sse.codec.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import { NATS_SSE_MESSAGES } from './nats-sse.messages.js';
import type { NatsSseNames } from './nats-sse.names.js';
import type { ResolvedNatsSseOptions } from './resolve-nats-sse-options.js';

const EPOCH_OF_DESCRIPTION = /\bepoch ([a-z0-9]{1,16})$/;
const NANOS_PER_MS = 1_000_000;

type Bounds = Pick<
  ResolvedNatsSseOptions,
  'maxEvents' | 'maxAgeMs' | 'maxBytes' | 'idempotencyTtlMs' | 'maxChannels' | 'namespace'
>;

/** The fields of a stream's configuration that the broker sets, and keeps set to its options. */
type Managed = Pick<
  StreamConfig,
  'subjects' | 'max_msgs_per_subject' | 'max_age' | 'max_bytes' | 'duplicate_window' | 'discard' | 'allow_direct'
>;

/**
 * The events stream's bounds, from the history options: `maxEvents` as
 * `max_msgs_per_subject` (0 keeps one, which no read returns), `maxAgeMs`
 * as `max_age`, `maxBytes` as `max_bytes` (oldest discarded), and the
 * idempotency window as `duplicate_window` (at most `max_age`, as JetStream
 * requires). Pure.
 */
export function eventsStreamBounds(names: NatsSseNames, options: Bounds): Managed {
  const windowMs =
    options.maxAgeMs > 0 ? Math.min(options.idempotencyTtlMs, options.maxAgeMs) : options.idempotencyTtlMs;
  return {
    subjects: [names.eventsFilter],
    max_msgs_per_subject: Math.max(1, options.maxEvents),
    max_age: options.maxAgeMs * NANOS_PER_MS,
    max_bytes: options.maxBytes,
    duplicate_window: windowMs * NANOS_PER_MS,
    discard: 'old' as StreamConfig['discard'],
    allow_direct: true,
  };
}

/** The channels stream: one message per channel (the newest), and the dropped watermark. Pure. */
export function channelsStreamBounds(names: NatsSseNames): Managed {
  return {
    subjects: [names.indexFilter, names.dropped],
    max_msgs_per_subject: 1,
    max_age: 0,
    max_bytes: -1,
    duplicate_window: 1000 * NANOS_PER_MS,
    discard: 'old' as StreamConfig['discard'],
    allow_direct: true,
  };
}

/**
 * The epoch of the events stream: written in its description when the broker
 * made it (a stream deleted and made again has another), or, for a stream
 * made otherwise, its creation time in base 36. Pure.
 */
export function epochOf(info: StreamInfo): string {
  const written = EPOCH_OF_DESCRIPTION.exec(info.config.description ?? '');
  if (written) return written[1];
  const created = Date.parse(info.created);
  return (Number.isFinite(created) ? created : 0).toString(36);
}

function differs(config: StreamConfig, wanted: Managed): boolean {
  return (Object.keys(wanted) as (keyof Managed)[]).some(
    (key) => JSON.stringify(config[key] ?? null) !== JSON.stringify(wanted[key]),
  );
}

/** The newest seq of the events stream and its epoch, once the streams of the namespace exist as the options want them. */
export interface NatsSseStreamsState {
  readonly epoch: string;
  readonly lastSeq: number;
}

/**
 * Makes the namespace's two streams if they are missing (an instance that
 * loses the race to make one takes the one that won), and sets their bounds
 * to this instance's options when they differ (logging that it did: the
 * instances of a namespace should share their history options). Resolves to
 * the events stream's epoch and newest seq.
 */
export async function ensureStreams(
  api: NatsSseJetStream,
  names: NatsSseNames,
  options: Bounds,
  logger: Logger,
): Promise<NatsSseStreamsState> {
  const description = (epoch: string) => NATS_SSE_MESSAGES.eventsDescription(names.namespace, epoch);
  const events = await ensureStream(api, names.eventsStream, eventsStreamBounds(names, options), description, logger);
  await ensureStream(
    api,
    names.channelsStream,
    channelsStreamBounds(names),
    () => NATS_SSE_MESSAGES.channelsDescription(names.namespace),
    logger,
  );
  return { epoch: epochOf(events), lastSeq: events.state.last_seq };
}

async function ensureStream(
  api: NatsSseJetStream,
  name: string,
  wanted: Managed,
  description: (epoch: string) => string,
  logger: Logger,
): Promise<StreamInfo> {
  let info: StreamInfo;
  try {
    info = await api.info(name);
  } catch (error) {
    if (apiErrorCode(error) !== JS_ERRORS.streamNotFound) throw error;
    try {
      return await api.jsm.streams.add({ name, description: description(newEpoch()), ...wanted });
    } catch (raced) {
      // Another instance made it first, with its own epoch: take that one.
      if (apiErrorCode(raced) !== JS_ERRORS.streamNameInUse) throw raced;
      info = await api.info(name);
    }
  }
  if (!differs(info.config, wanted)) return info;
  logger.warn(NATS_SSE_MESSAGES.boundsUpdated(name));
  return api.jsm.streams.update(name, { ...info.config, ...wanted });
}
