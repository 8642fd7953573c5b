/**
 * When a job of `SseScheduler.schedule()` runs: every `every` milliseconds, or on a
 * cron expression (five fields, or six with seconds first, as
 * `'*\/10 * * * * *'`), optionally in an IANA time zone (`'Europe/Paris'`).
 */
export type SseScheduleTrigger = { every: number } | { cron: string; timeZone?: string };

/**
 * Makes what a scheduled job publishes: a value (the data of a plain message),
 * an `sseEvent(...)`, a Promise of either, or an Observable of several (each
 * published in order; the run ends when it completes). `undefined` or `null`
 * publishes nothing this tick.
 */
export type SseBroadcastProducer = () => unknown;

/** Options of `SseScheduler.schedule()`. */
export interface SseScheduleOptions {
  /** The channel the produced events are published to. */
  channel: string;
  /**
   * Skip the tick (the producer is not called) while no stream of this
   * instance has joined `channel`. Default `true`.
   */
  skipWhenIdle?: boolean;
}

/** Options of `@Broadcast()`. */
export interface BroadcastOptions {
  /**
   * Skip the tick (the method is not called) while no stream of this instance
   * has joined the channel. Default `false`: adding `@Broadcast()` to a job
   * does not change when it runs.
   */
  skipWhenIdle?: boolean;
}
