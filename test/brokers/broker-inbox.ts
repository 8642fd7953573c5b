import { readAllPages, type SseBroker, type SseBrokerPosition } from 'nestjs-event-stream/broker';

/** Records what a broker delivers on `messages$` and lets a test await it: the contract kit's. */
export { BrokerInbox as Inbox } from 'nestjs-event-stream/broker';

/** Polls `probe` (a Redis-side condition that no event signals) every 20 ms until `ok` holds. */
export async function eventually<T>(
  probe: () => Promise<T>,
  ok: (value: T) => boolean,
  what: string,
  timeoutMs = 8000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch((error: unknown) => error as T);
    if (ok(value)) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; last: ${String(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** Every event of `channels` after `after`, read page by page as the hub does, summed up for assertions. */
export async function readAll(
  broker: SseBroker,
  channels: string[],
  after: SseBrokerPosition,
  limit: number,
): Promise<{ seqs: number[]; payloads: string[]; pageSizes: number[]; resets: string[] }> {
  const { events, pages } = await readAllPages(broker, channels, after, limit);
  return {
    seqs: events.map((event) => event.seq),
    payloads: events.map((event) => event.payload),
    pageSizes: pages.map((page) => page.events.length),
    resets: pages.flatMap((page) => (page.reset ? [page.reset] : [])),
  };
}

/** `promise`, or a clear failure naming `what` after `timeoutMs` (instead of the generic Jest timeout). */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 8000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
