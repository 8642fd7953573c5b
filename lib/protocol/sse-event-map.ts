import { sseEvent, type SseEvent, type SseEventInit } from './sse-event.js';

/**
 * The events a stream sends, by name, with the payload type of each: one type
 * that the server and the typed client (`nestjs-event-stream/client`) share.
 *
 * @example
 * export interface TickerEvents {
 *   tick: { n: number; at: string };
 *   'ticker-paused': { until: string };
 * }
 */
export type SseEventMap = object;

/** The event names of an event map. */
export type SseEventName<M extends SseEventMap> = keyof M & string;

/** Makes the envelope of one event of an event map: its name and payload are checked against the map. */
export type SseTypedEventFactory<M extends SseEventMap> = <K extends SseEventName<M>>(
  event: K,
  data: M[K],
  init?: Omit<SseEventInit, 'event' | 'data'>,
) => SseEvent;

/**
 * A typed {@link sseEvent} for one event map, so that a handler cannot send an
 * event name or a payload the client does not expect.
 *
 * @example
 * const tickerEvent = sseEventsOf<TickerEvents>();
 * return interval(1000).pipe(map((n) => tickerEvent('tick', { n, at: new Date().toISOString() }, { id: n })));
 */
export function sseEventsOf<M extends SseEventMap>(): SseTypedEventFactory<M> {
  return (event, data, init = {}) => sseEvent({ ...init, event, data });
}
