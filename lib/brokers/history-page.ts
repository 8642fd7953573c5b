import type { SseBrokerEvent } from './sse-broker.interface.js';

/**
 * One page out of the events several channels have after a position: the
 * `limit` lowest seqs of all of them, in seq order, and whether more may
 * follow. Each channel's list must be in seq order and hold at most
 * `limit + 1` events (one more than a page, to tell whether more follow).
 * Pure; for brokers that read each channel's history on its own.
 */
export function mergeHistoryPages(
  perChannel: readonly (readonly SseBrokerEvent[])[],
  limit: number,
): { events: SseBrokerEvent[]; more: boolean } {
  const lists = perChannel.filter((list) => list.length > 0);
  let events: SseBrokerEvent[];
  if (lists.length === 0) return { events: [], more: false };
  if (lists.length === 1) events = lists[0].slice();
  else events = lists.flat().sort((a, b) => a.seq - b.seq);
  if (events.length <= limit) return { events, more: false };
  return { events: events.slice(0, limit), more: true };
}
