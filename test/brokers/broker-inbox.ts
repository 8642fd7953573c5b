import type { SseBroker, SseBrokerMessage, SseBrokerPosition } from 'nestjs-event-stream/broker';

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;
type GapMessage = Extract<SseBrokerMessage, { type: 'gap' }>;

/** Records what a broker delivers on `messages$` and lets a test await it. */
export class Inbox {
  readonly messages: SseBrokerMessage[] = [];
  completed = false;
  private readonly waiters = new Set<() => void>();

  constructor(broker: SseBroker) {
    broker.messages$.subscribe({
      next: (message) => {
        this.messages.push(message);
        this.notify();
      },
      complete: () => {
        this.completed = true;
        this.notify();
      },
    });
  }

  /** The channel messages of `channel`, in the order delivered. */
  channel(name: string): ChannelMessage[] {
    return this.messages.filter((m): m is ChannelMessage => m.type === 'channel' && m.channel === name);
  }

  seqs(name: string): number[] {
    return this.channel(name).map((m) => m.seq);
  }

  gaps(): GapMessage[] {
    return this.messages.filter((m): m is GapMessage => m.type === 'gap');
  }

  /** Resolves once `predicate` holds, checked now and after each message. */
  until(predicate: () => boolean, what: string, timeoutMs = 8000): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, timeoutMs);
      this.waiters.add(check);
      check();
    });
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

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

/** Every event of `channels` after `after`, read page by page as the hub does (from the last event of each page). */
export async function readAll(
  broker: SseBroker,
  channels: string[],
  after: SseBrokerPosition,
  limit: number,
): Promise<{ seqs: number[]; payloads: string[]; pageSizes: number[]; resets: string[] }> {
  const result = { seqs: [] as number[], payloads: [] as string[], pageSizes: [] as number[], resets: [] as string[] };
  for (let cursor = after; ;) {
    const page = await broker.read(channels, cursor, limit);
    result.pageSizes.push(page.events.length);
    if (page.reset) result.resets.push(page.reset);
    for (const event of page.events) {
      result.seqs.push(event.seq);
      result.payloads.push(event.payload);
    }
    if (!page.more) return result;
    const last = page.events[page.events.length - 1];
    cursor = { epoch: last.epoch, seq: last.seq };
  }
}

/** `promise`, or a clear failure naming `what` after `timeoutMs` (instead of the generic Jest timeout). */
export function within<T>(promise: Promise<T>, what: string, timeoutMs = 8000): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), timeoutMs);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
