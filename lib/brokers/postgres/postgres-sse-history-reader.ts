import type { SseBrokerEvent, SseBrokerPosition, SseHistoryPage } from '../sse-broker.interface.js';
import type { PostgresSseCommands } from './postgres-sse-commands.js';
import type { PostgresSseStatements } from './postgres-sse.statements.js';

/** The largest page `read()` returns. */
export const MAX_READ_LIMIT = 10_000;

/** What the reader needs to know of the history kept. */
export interface PostgresSseHistorySettings {
  readonly namespace: string;
  readonly maxEvents: number;
  readonly maxAgeMs: number;
}

/** A row of the read statement (see `PostgresSseStatements.read`): bigints come back as text. */
interface ReadRow {
  kind: 'h' | 'c' | 'e';
  channel: string | null;
  seq: string;
  extra: string | number | null;
  payload: string | null;
}

/**
 * Reads pages of the history of several channels, each page in one
 * statement (one snapshot): the `limit` lowest seqs after the position of
 * all the channels. Says `expired` when some events after the position are
 * gone (trimmed from their channel by count, bytes or age, or the channel's
 * whole history evicted by the channel cap or the byte budget) and `unknown`
 * for a position of another epoch or ahead of the newest event.
 */
export class PostgresSseHistoryReader {
  constructor(
    private readonly statements: PostgresSseStatements,
    private readonly settings: PostgresSseHistorySettings,
  ) {}

  /** One page of `channels` (valid, distinct names) after `after`. */
  async read(
    commands: PostgresSseCommands,
    channels: readonly string[],
    after: SseBrokerPosition,
    limit: number,
  ): Promise<SseHistoryPage> {
    const { namespace, maxAgeMs } = this.settings;
    const values = [namespace, channels, after.epoch, after.seq, maxAgeMs, limit + 1];
    const { rows } = await commands.run<ReadRow>('read history', undefined, this.statements.read, values);
    return this.pageOf(rows, channels, after, limit);
  }

  private pageOf(
    rows: ReadRow[],
    channels: readonly string[],
    after: SseBrokerPosition,
    limit: number,
  ): SseHistoryPage {
    const header = rows.find((row) => row.kind === 'h');
    if (!header) return { events: [], more: false, reset: 'unknown' };
    const epoch = String(header.payload);
    const headSeq = Number(header.seq);
    const head = headSeq > 0 ? { epoch, seq: headSeq } : undefined;
    if (epoch !== after.epoch || after.seq > headSeq) return { events: [], more: false, reset: 'unknown', head };
    // No history kept at all: whatever came after the position is gone, which the client must be told.
    if (this.settings.maxEvents === 0) {
      return after.seq < headSeq
        ? { events: [], more: false, reset: 'expired', head }
        : { events: [], more: false, head };
    }
    const evicted = Number(header.extra);
    const kept = new Map<string, ReadRow>();
    const events: SseBrokerEvent[] = [];
    for (const row of rows) {
      if (row.kind === 'c') kept.set(String(row.channel), row);
      else if (row.kind === 'e') {
        events.push({ channel: String(row.channel), epoch, seq: Number(row.seq), payload: String(row.payload) });
      }
    }
    let expired = false;
    for (const channel of channels) {
      const history = kept.get(channel);
      // A channel without a history lost nothing, unless a history evicted whole held events after the position.
      if (!history) expired ||= evicted > after.seq;
      else expired ||= Number(history.seq) > after.seq || Number(history.extra) === 1;
    }
    events.sort((a, b) => a.seq - b.seq);
    const more = events.length > limit;
    const page = { events: more ? events.slice(0, limit) : events, more };
    return expired ? { ...page, reset: 'expired', head } : { ...page, head };
  }
}
