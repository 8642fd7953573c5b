import type { SseHub } from '../hub/sse-hub.js';
import { checkTimeoutMs, timedWait } from './timed-wait.js';
import { TESTING_MESSAGES } from './testing.messages.js';

/** The part of the hub the helpers read: its public counts and its lifecycle stream. */
export type WaitableHub = Pick<SseHub, 'lifecycle$' | 'count'>;

/** How long a hub helper waits, and what its timeout message calls the wait. */
export interface WaitForHubOptions {
  /** Milliseconds before the wait rejects. Default 5000. */
  timeoutMs?: number;
  /** What is awaited, for the timeout message. Default `'the hub predicate to hold'`. */
  description?: string;
}

/**
 * How often a hub wait checks again between lifecycle events, in milliseconds:
 * what `lifecycle$` does not tell (a stream that leaves a channel and stays
 * open, `stats()` counters) is seen within this.
 */
export const HUB_WAIT_POLL_MS = 10;

/** `1 stream`, `2 streams`. */
function streams(count: number): string {
  return `${count} stream${count === 1 ? '' : 's'}`;
}

function stateOf(hub: WaitableHub): string {
  const open = hub.count();
  return `${open} open stream${open === 1 ? '' : 's'}`;
}

/**
 * Resolves once `predicate(hub)` holds: checked now, after every event of
 * `hub.lifecycle$` (a stream connected, joined channels, or disconnected), and
 * every 10 ms between them (what the hub does not tell as an event: a stream
 * that left a channel but stays open, `stats()` counters), so a test awaits
 * hub state without sleeping. Rejects after `timeoutMs` (default 5000, checked
 * once more at the deadline) with the hub's stream count, or when the hub
 * shuts down first. Bad arguments reject too (the helpers return a promise,
 * they never throw).
 *
 * @example
 * await waitForHub(app.get(SseHub), (hub) => hub.count() === 0, { description: 'every stream to close' });
 */
export async function waitForHub<H extends WaitableHub>(
  hub: H,
  predicate: (hub: H) => boolean,
  options: WaitForHubOptions = {},
): Promise<void> {
  if (typeof predicate !== 'function') throw new TypeError(TESTING_MESSAGES.badPredicate('waitForHub()', predicate));
  return waitUntil(
    'waitForHub()',
    hub,
    predicate,
    options.description ?? 'the hub predicate to hold',
    () => stateOf(hub),
    options,
  );
}

/** The wait of every hub helper; `state` says, at the timeout, what the hub has. */
function waitUntil<H extends WaitableHub>(
  where: string,
  hub: H,
  predicate: (hub: H) => boolean,
  what: string,
  state: () => string,
  options: Pick<WaitForHubOptions, 'timeoutMs'>,
): Promise<void> {
  const timeoutMs = checkTimeoutMs(where, options.timeoutMs);
  return timedWait<void>(
    timeoutMs,
    () => new Error(TESTING_MESSAGES.hubTimedOut(what, timeoutMs, state())),
    (resolve, reject) => {
      const check = () => {
        try {
          if (predicate(hub)) resolve();
        } catch (error) {
          reject(error as Error);
        }
      };
      check();
      const poll = setInterval(check, HUB_WAIT_POLL_MS);
      // The deadline keeps the process alive while the wait is on; the poll need not.
      poll.unref();
      const subscription = hub.lifecycle$.subscribe({
        next: check,
        complete: () => {
          check();
          reject(new Error(TESTING_MESSAGES.hubClosed(what, state())));
        },
      });
      return {
        stop: () => {
          clearInterval(poll);
          subscription.unsubscribe();
        },
        atDeadline: check,
      };
    },
  );
}

/**
 * Resolves once `channel` has exactly `count` streams of this instance
 * (`hub.count(channel) === count`): e.g. a stream joined, or left. A stream
 * counts from the moment its join began subscribing; `openEventStream()`
 * resolves only after the join completed, as the stream opens only then.
 *
 * @example
 * await waitForChannelMembers(hub, 'room:1', 2);
 * await hub.publish('room:1', { text: 'hi' }); // both streams receive it
 */
export async function waitForChannelMembers(
  hub: WaitableHub,
  channel: string,
  count: number,
  options: Omit<WaitForHubOptions, 'description'> = {},
): Promise<void> {
  assertCount('waitForChannelMembers()', count);
  return waitUntil(
    'waitForChannelMembers()',
    hub,
    (h) => h.count(channel) === count,
    `channel ${JSON.stringify(channel)} to have ${streams(count)}`,
    () => `${streams(hub.count(channel))} in channel ${JSON.stringify(channel)} (${stateOf(hub)})`,
    options,
  );
}

/**
 * Resolves once the hub has exactly `count` open streams (`hub.count() === count`),
 * e.g. `0` after closing them: the server saw every disconnect.
 */
export async function waitForConnections(
  hub: WaitableHub,
  count: number,
  options: Omit<WaitForHubOptions, 'description'> = {},
): Promise<void> {
  assertCount('waitForConnections()', count);
  return waitUntil(
    'waitForConnections()',
    hub,
    (h) => h.count() === count,
    `${streams(count).replace('stream', 'open stream')}`,
    () => stateOf(hub),
    options,
  );
}

function assertCount(where: string, count: unknown): void {
  if (typeof count !== 'number' || !Number.isInteger(count) || count < 0) {
    throw new RangeError(TESTING_MESSAGES.badCount(where, count));
  }
}
