import type { SseEventMap } from '../protocol/sse-event-map.js';
import type { EventStreamClientOptions } from './client-options.js';
import { EventStreamClient } from './event-stream-client.js';

/**
 * Creates an {@link EventStreamClient}, which connects at once.
 *
 * @example
 * const client = connectEventStream<TickerEvents>('/ticks', { retry: { maxMs: 10_000 } });
 * client.on('tick', (data) => render(data.n));
 */
export function connectEventStream<M extends SseEventMap = Record<string, unknown>>(
  url: string | URL,
  options?: EventStreamClientOptions,
): EventStreamClient<M> {
  return new EventStreamClient<M>(url, options);
}
