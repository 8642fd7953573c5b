import type { SseHub } from '../hub/sse-hub.js';
import { DEFAULT_TEST_TIMEOUT_MS, timedWait } from './timed-wait.js';
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

function stateOf(hub: WaitableHub): string {
  const open = hub.count();
  return `${open} open stream${open === 1 ? '' : 's'}`;
}

/**
 * Resolves once `predicate(hub)` holds: checked now and after every event of
 * `hub.lifecycle$` (a stream connected, joined channels, or disconnected; and
 * once more at the end of that event's turn, as the hub updates a closed
 * stream's channels just after reporting its disconnect), so
 * a test awaits hub state without sleeping. Rejects after `timeoutMs` (default
 * 5000) with the hub's stream count, or when the hub shuts down first.
 *
 * @example
 * await waitForHub(app.get(SseHub), (hub) => hub.count() === 0, { description: 'every stream to close' });
 */
export function waitForHub<H extends WaitableHub>(
  hub: H,
  predicate: (hub: H) => boolean,
  options: WaitForHubOptions = {},
): Promise<void> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TEST_TIMEOUT_MS;
  const what = options.description ?? 'the hub predicate to hold';
  return timedWait<void>(
    timeoutMs,
    () => new Error(TESTING_MESSAGES.hubTimedOut(what, timeoutMs, stateOf(hub))),
    (resolve, reject) => {
      const check = () => {
        try {
          if (predicate(hub)) resolve();
        } catch (error) {
          reject(error as Error);
        }
      };
      check();
      // The hub leaves a stream's channels just after it reports the disconnect: check again once that turn is over.
      const later = new Set<NodeJS.Immediate>();
      const subscription = hub.lifecycle$.subscribe({
        next: () => {
          check();
          const immediate = setImmediate(() => {
            later.delete(immediate);
            check();
          });
          later.add(immediate);
        },
        complete: () => {
          check();
          reject(new Error(TESTING_MESSAGES.hubClosed(what, stateOf(hub))));
        },
      });
      return () => {
        subscription.unsubscribe();
        later.forEach(clearImmediate);
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
export function waitForChannelMembers(
  hub: WaitableHub,
  channel: string,
  count: number,
  options: Omit<WaitForHubOptions, 'description'> = {},
): Promise<void> {
  return waitForHub(hub, (h) => h.count(channel) === count, {
    ...options,
    description: `channel ${JSON.stringify(channel)} to have ${count} stream${count === 1 ? '' : 's'} (has ${hub.count(channel)})`,
  });
}

/**
 * Resolves once the hub has exactly `count` open streams (`hub.count() === count`),
 * e.g. `0` after closing them: the server saw every disconnect.
 */
export function waitForConnections(
  hub: WaitableHub,
  count: number,
  options: Omit<WaitForHubOptions, 'description'> = {},
): Promise<void> {
  return waitForHub(hub, (h) => h.count() === count, {
    ...options,
    description: `${count} open stream${count === 1 ? '' : 's'} (had ${hub.count()})`,
  });
}
