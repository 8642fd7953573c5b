import type { Msg } from 'nats';
import { parseDelivery, readStoredEvent, type NatsSseStoredEvent } from './nats-sse.codec.js';
import type { NatsSseJetStream } from './nats-sse-jetstream.js';
import type { NatsSseNames } from './nats-sse.names.js';
import { timeoutError } from './nats-sse-timeout.js';

const NANOS_PER_MS = 1_000_000;
/** Events read with direct gets before a read makes a consumer for the rest (a read that finds none makes none). */
const DIRECT_READS = 1;
/** An ephemeral consumer of a read that was not deleted (its instance died) goes after this long without use. */
const INACTIVE_MS = 30_000;

/**
 * At most `max` events of `channel` from seq `from` on, oldest first: the
 * first with a direct get (`next_by_subj`: a read that finds nothing makes
 * no consumer), the rest, if any, with an ephemeral
 * pull consumer filtered on the channel's subject (made, asked once for what
 * it has, without waiting, then deleted), in a bounded time (`timeoutMs`,
 * else rejects with a timeout) and bounded memory (`max` events, of a
 * history that `maxChannelBytes` bounds).
 */
export async function readRange(
  api: NatsSseJetStream,
  names: NatsSseNames,
  epoch: string,
  channel: string,
  from: number,
  max: number,
  timeoutMs: number,
): Promise<NatsSseStoredEvent[]> {
  const events: NatsSseStoredEvent[] = [];
  for (let seq = from; events.length < Math.min(max, DIRECT_READS);) {
    const message = await api.next(names.eventsStream, names.event(channel), seq);
    if (!message) return events;
    const event = readStoredEvent(channel, epoch, message.seq, message.header, message.data);
    if (event) events.push(event);
    seq = message.seq + 1;
  }
  if (events.length === max) return events;
  const next = events.length > 0 ? events[events.length - 1].seq + 1 : from;
  return [...events, ...(await consumerRange(api, names, epoch, channel, next, max - events.length, timeoutMs))];
}

/** `readRange()` through an ephemeral pull consumer. */
async function consumerRange(
  api: NatsSseJetStream,
  names: NatsSseNames,
  epoch: string,
  channel: string,
  from: number,
  max: number,
  timeoutMs: number,
): Promise<NatsSseStoredEvent[]> {
  const stream = names.eventsStream;
  const consumer = await api.addConsumer(stream, {
    filter_subject: names.event(channel),
    deliver_policy: 'by_start_sequence' as never,
    opt_start_seq: from,
    ack_policy: 'none' as never,
    mem_storage: true,
    num_replicas: 1,
    inactive_threshold: INACTIVE_MS * NANOS_PER_MS,
  });
  try {
    const count = Math.min(consumer.num_pending, max);
    if (count === 0) return [];
    return await pull(api, `$JS.API.CONSUMER.MSG.NEXT.${stream}.${consumer.name}`, count, timeoutMs, (msg) => {
      const delivery = parseDelivery(msg.reply);
      return delivery && readStoredEvent(channel, epoch, delivery.streamSeq, msg.headers, msg.data);
    });
  } finally {
    void api.deleteConsumer(stream, consumer.name).catch(() => undefined);
  }
}

/** Asks `subject` (a pull consumer's) for `count` messages without waiting; resolves to what came, in order. */
function pull<T>(
  api: NatsSseJetStream,
  subject: string,
  count: number,
  timeoutMs: number,
  decode: (msg: Msg) => T | undefined,
): Promise<T[]> {
  return new Promise((resolve, reject) => {
    const items: T[] = [];
    const inbox = api.nats.createInbox();
    const done = (error?: Error) => {
      clearTimeout(timer);
      subscription.unsubscribe();
      if (error) reject(error);
      else resolve(items);
    };
    const timer = setTimeout(() => done(timeoutError(timeoutMs)), timeoutMs);
    const subscription = api.nc.subscribe(inbox, {
      callback: (error, msg) => {
        if (error) return done(error);
        // A status (404 no messages, 408 the request ended): nothing more comes (the events went meanwhile).
        if ((msg.headers?.code ?? 0) !== 0) return done();
        const item = decode(msg);
        if (item !== undefined) items.push(item);
        if (items.length >= count) done();
      },
    });
    api.nc.publish(subject, JSON.stringify({ batch: count, no_wait: true }), { reply: inbox });
  });
}
