/** Options of `SseRunsModule.forRoot()` / `forRootAsync()`. Every one is optional. */
export interface SseRunsModuleOptions {
  /**
   * Runs this instance produces at once; past it, a new one is refused with
   * 503 (`ServiceUnavailableException`: no `Retry-After` header, which the
   * route can add in an exception filter). Default 1000.
   */
  maxRuns?: number;
  /**
   * A run that has had no listener, on any instance, for this long is
   * stopped (outcome `idle`). Default 60000; 0 never stops a run for that.
   * It also sets the pace of a running run's records: its state is recorded
   * again (and leases sent) every third of it, from 100 ms to 20 s (20 s
   * with 0), and its listeners elsewhere take a run whose state nobody
   * recorded for three of those and 2 s for lost.
   */
  idleTimeoutMs?: number;
  /**
   * How long a run that has ended is served (its recording, then its final
   * word) to those who connect late; afterwards they get 204. Default
   * 600000 (10 minutes). Keep it within the broker's history bounds: the
   * recording is the broker's history of the run's channel, which must hold
   * the longest run plus this long (see docs/runs.md, Bounds).
   */
  expireAfterMs?: number;
  /** A run is stopped after this long (outcome `timeout`). Default 3600000 (1 hour); 0 for no limit. */
  maxDurationMs?: number;
  /**
   * Values an Observable producer may emit ahead of what the broker has
   * stored; past it the run fails. An AsyncIterable producer is pulled as
   * the broker stores, and never queues. Default 10000.
   */
  maxQueuedValues?: number;
}

/** The options with their defaults, checked. */
export type ResolvedSseRunsOptions = Required<SseRunsModuleOptions>;

/** A class that `SseRunsModule.forRootAsync({ useClass })` instantiates to get the options. */
export interface SseRunsOptionsFactory {
  createSseRunsOptions(): SseRunsModuleOptions | Promise<SseRunsModuleOptions>;
}
