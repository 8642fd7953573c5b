import type { ResolvedSseRunsOptions } from './sse-runs-options.interface.js';

/** The longest time between two records of a running run's state (without an idle timeout, the only bound). */
const MAX_BEAT_MS = 20_000;
/** The shortest: a run with a very short idle timeout does not record its state more often than this. */
const MIN_BEAT_MS = 100;

/**
 * How often a running run records its state again (its start id, its nonce,
 * its last event), so that its state outlives the broker's budgets (which
 * evict the oldest records first) and its listeners know its instance still
 * runs it: a third of `idleTimeoutMs`, from 100 ms to 20 s (20 s without an
 * idle timeout). The leases of listeners elsewhere go at the same pace. Pure.
 */
export function beatIntervalMs(options: Pick<ResolvedSseRunsOptions, 'idleTimeoutMs'>): number {
  const { idleTimeoutMs } = options;
  if (idleTimeoutMs <= 0) return MAX_BEAT_MS;
  return Math.min(MAX_BEAT_MS, Math.max(MIN_BEAT_MS, Math.floor(idleTimeoutMs / 3)));
}

/** What a silence must exceed besides three beats: an instance stalled for a moment (a long GC) is not lost. */
const LOST_MARGIN_MS = 2000;

/**
 * How long the listeners of a run produced elsewhere wait without hearing
 * its state recorded before they look into it: three beats and 2 s. A run
 * still silent then (its instance died, or lost the broker) is ended for
 * it, outcome `lost`. Pure.
 */
export function lostAfterMs(options: Pick<ResolvedSseRunsOptions, 'idleTimeoutMs'>): number {
  return 3 * beatIntervalMs(options) + LOST_MARGIN_MS;
}

/** The period of the one timer of a run's instance: a quarter of a beat, from 10 ms to 1 s. Pure. */
export function tickMs(options: Pick<ResolvedSseRunsOptions, 'idleTimeoutMs'>): number {
  return Math.max(10, Math.min(1000, Math.floor(beatIntervalMs(options) / 4)));
}
