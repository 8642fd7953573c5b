import type {
  SseBroker,
  SseBrokerEvent,
  SseBrokerMessage,
  SseBrokerPosition,
  SseHistoryPage,
} from '../sse-broker.interface.js';

/*
 * The Jest globals the suite runs on, typed here so that the library compiles
 * without Jest's types: the suite is called from a test file, where Jest
 * provides them.
 */
/** The Jest matchers the contract suite uses. */
export interface Matchers {
  toBe(expected: unknown): void;
  toEqual(expected: unknown): void;
  toBeUndefined(): void;
  toBeDefined(): void;
  toBeGreaterThan(expected: number): void;
  toBeGreaterThanOrEqual(expected: number): void;
  toBeLessThan(expected: number): void;
  toBeLessThanOrEqual(expected: number): void;
  toHaveLength(expected: number): void;
  toContainEqual(expected: unknown): void;
  toMatch(expected: RegExp): void;
  readonly not: Matchers;
}
type Body = () => Promise<void> | void;

/** The Jest globals the contract suite runs on. */
export interface JestGlobals {
  describe(name: string, body: () => void): void;
  it(name: string, body: Body): void;
  expect(actual: unknown): Matchers;
  afterEach(body: Body): void;
}

/** Jest's globals, read when the suite is declared (from a test file, where Jest provides them). */
export function jestGlobals(): JestGlobals {
  return globalThis as unknown as JestGlobals;
}

/** What a contract test may ask of the factory. A factory must pass every option it is given to the broker. */
export interface BrokerContractOptions {
  /** Events kept per channel; the suite asks for a small number to test expiry. Default: the broker's own. */
  maxEvents?: number;
  /** Channels whose history is kept; the suite asks for a small number to test the channel cap. */
  maxChannels?: number;
  /** Bytes of payload kept per channel; the suite asks for a small number to test the per-channel budget. */
  maxChannelBytes?: number;
  /** Bytes of payload kept in all channels; the suite asks for a small number to test the global budget. */
  maxBytes?: number;
}

/**
 * Makes a broker for one test, not connected yet. Brokers that share state
 * (a server) must give each call a fresh namespace: the suite expects an
 * empty history.
 */
export type BrokerContractFactory = (options?: BrokerContractOptions) => Promise<SseBroker> | SseBroker;

/** A connected broker of the suite and what it delivers. */
export type ConnectedBroker = (options?: BrokerContractOptions) => Promise<{ broker: SseBroker; inbox: Inbox }>;

type ChannelMessage = Extract<SseBrokerMessage, { type: 'channel' }>;
type GapMessage = Extract<SseBrokerMessage, { type: 'gap' }>;

const WAIT_MS = 5000;

/** What every epoch looks like: a broker's positions are checked for their shape, never their value. */
export const EPOCH = /^[a-z0-9]{1,16}$/;

/** The position of an event (without its channel and payload). */
export const positionOf = (event: { epoch: string; seq: number }): SseBrokerPosition => ({
  epoch: event.epoch,
  seq: event.seq,
});

/** Records what a broker delivers on `messages$` and lets a test await it (delivery may be asynchronous). */
export class Inbox {
  readonly messages: SseBrokerMessage[] = [];
  completed = false;
  private readonly waiters = new Set<() => void>();
  private readonly subscription: { unsubscribe(): void };

  constructor(broker: SseBroker) {
    this.subscription = broker.messages$.subscribe({
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

  /** The seqs of the channel messages of `channel`, in the order delivered. */
  seqs(name: string): number[] {
    return this.channel(name).map((m) => m.seq);
  }

  /** The `gap` messages delivered. */
  gaps(): GapMessage[] {
    return this.messages.filter((m): m is GapMessage => m.type === 'gap');
  }

  /** Resolves once `predicate` holds for what was delivered; fails clearly instead of the generic Jest timeout. */
  until(predicate: () => boolean, what: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return;
        this.waiters.delete(check);
        clearTimeout(timer);
        resolve();
      };
      const timer = setTimeout(() => {
        this.waiters.delete(check);
        reject(new Error(`the broker did not deliver ${what}; got ${JSON.stringify(this.messages.slice(-5))}`));
      }, WAIT_MS);
      timer.unref();
      this.waiters.add(check);
      check();
    });
  }

  /**
   * Delivery of one channel is ordered, so once a marker published after some
   * events has arrived, anything the broker was going to deliver of them has
   * arrived too: what was counted is final. Returns the marker's position.
   */
  async settle(broker: SseBroker, channel: string): Promise<SseBrokerPosition> {
    const marker = await broker.publish(channel, 'marker');
    await this.until(() => this.channel(channel).some((m) => m.seq === marker.seq), `the marker of ${channel}`);
    return marker;
  }

  stop(): void {
    this.subscription.unsubscribe();
  }

  private notify(): void {
    for (const check of [...this.waiters]) check();
  }
}

/** Reads every page after `after`, from the position of the last event of each page, as the hub does. */
export async function readAll(
  broker: SseBroker,
  channels: string[],
  after: SseBrokerPosition,
  limit: number,
): Promise<{ events: SseBrokerEvent[]; pages: SseHistoryPage[] }> {
  const { expect } = jestGlobals();
  const events: SseBrokerEvent[] = [];
  const pages: SseHistoryPage[] = [];
  for (let cursor = after; ;) {
    const page = await broker.read(channels, cursor, limit);
    pages.push(page);
    events.push(...page.events);
    if (!page.more) return { events, pages };
    expect(page.events.length).toBeGreaterThan(0);
    cursor = positionOf(page.events[page.events.length - 1]);
    if (pages.length > 10_000) throw new Error('the broker says more events follow, forever');
  }
}

/** What `run` threw or rejected with (`undefined` if it did neither): for calls that may throw at once or reject. */
export async function errorOf(run: () => unknown): Promise<unknown> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  return undefined;
}
