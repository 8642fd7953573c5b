import type { RedisSseClient } from './redis-sse-pubsub.js';
import type { SseBrokerEvent, SseBrokerPosition, SseHistoryPage } from '../sse-broker.interface.js';
import { mergeHistoryPages } from '../history-page.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import { READ_SCRIPT } from './redis-sse.scripts.js';

/** The largest page `read()` returns: the most events one read script takes from each channel is one more. */
export const MAX_READ_LIMIT = 10_000;

/** What the reader needs to know of the history kept. */
export interface RedisSseHistorySettings {
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly idleTtlMs: number;
}

type Entry = [id: string, fields: string[]];

/** The payload of a stream entry (fields `p`, `t`, as the publish script writes them). */
function payloadOf(fields: readonly unknown[]): string {
  for (let f = 0; f + 1 < fields.length; f += 2) if (String(fields[f]) === 'p') return String(fields[f + 1]);
  return '';
}

/**
 * Reads pages of the history of several channels, each page in one read
 * script: at most `limit + 1` entries per channel (so the merged page knows
 * whether more follow), merged into the `limit` lowest seqs. Says `expired`
 * when some events after the position are gone (trimmed by count, bytes or
 * age, the channel's history expired while idle or was deleted by the channel
 * cap or the byte budget) and `unknown` for a position of another epoch or
 * ahead of the newest event.
 */
export class RedisSseHistoryReader {
  constructor(
    private readonly keys: RedisSseKeys,
    private readonly settings: RedisSseHistorySettings,
  ) {}

  /** One page of `channels` (valid, distinct names) after `after`, read on `client`. */
  async read(
    client: RedisSseClient,
    channels: readonly string[],
    after: SseBrokerPosition,
    limit: number,
  ): Promise<SseHistoryPage> {
    const keys = [this.keys.epoch, this.keys.seq, this.keys.clock, this.keys.evicted];
    for (const channel of channels) keys.push(this.keys.history(channel), this.keys.trimmed(channel));
    const args = [after.seq, this.settings.idleTtlMs, after.epoch, limit + 1, this.settings.maxAgeMs];
    const reply = (await READ_SCRIPT.run(client, keys, args)) as unknown[];
    return this.pageOf(channels, after, limit, reply);
  }

  private pageOf(
    channels: readonly string[],
    after: SseBrokerPosition,
    limit: number,
    reply: unknown[],
  ): SseHistoryPage {
    const epoch = String(reply[0]);
    const headSeq = Number(reply[1]);
    const head = epoch !== '' && headSeq > 0 ? { epoch, seq: headSeq } : undefined;
    if (epoch !== after.epoch || after.seq > headSeq) return { events: [], more: false, reset: 'unknown', head };
    // An expired history held only seqs below the watermark (no sample: possibly anything up to the head).
    const watermark = reply[3] === '' || reply[3] === null ? headSeq + 1 : Number(reply[3]);
    // The newest seq of a history deleted by the channel cap or the byte budget.
    const evicted = Number(reply[4]);
    let expired = false;
    const perChannel: SseBrokerEvent[][] = [];
    channels.forEach((channel, i) => {
      const exists = Number(reply[5 + 4 * i]) === 1;
      const trimmed = Number(reply[6 + 4 * i]);
      const aged = Number(reply[7 + 4 * i]) === 1;
      const entries = (reply[8 + 4 * i] ?? []) as Entry[];
      if (!exists) {
        if (this.settings.maxEvents === 0 ? after.seq < headSeq : after.seq + 1 < watermark) expired = true;
        if (evicted > after.seq) expired = true;
        return;
      }
      if (trimmed > after.seq || aged) expired = true;
      perChannel.push(
        entries.map(([id, fields]) => ({
          channel,
          epoch,
          seq: Number(String(id).slice(0, String(id).indexOf('-'))),
          payload: payloadOf(fields),
        })),
      );
    });
    const page = mergeHistoryPages(perChannel, limit);
    return expired ? { ...page, reset: 'expired', head } : { ...page, head };
  }
}
