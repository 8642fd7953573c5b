import { checkInteger } from '../options/check-option.js';
import { MAX_TIMER_DELAY_MS } from '../sse.constants.js';
import type { ResolvedSseRunsOptions, SseRunsModuleOptions } from './sse-runs-options.interface.js';

/**
 * The runs' options with their defaults; a bad value is a `TypeError`
 * naming the option, the value and what it must be. Pure.
 */
export function resolveRunsOptions(options: SseRunsModuleOptions = {}): ResolvedSseRunsOptions {
  try {
    return checked(options ?? {});
  } catch (error) {
    throw new TypeError((error as Error).message);
  }
}

function checked(given: SseRunsModuleOptions): ResolvedSseRunsOptions {
  return {
    maxRuns: checkInteger('SseRunsModule maxRuns', given.maxRuns, 1, 1000),
    idleTimeoutMs: checkInteger('SseRunsModule idleTimeoutMs', given.idleTimeoutMs, 0, 60_000, MAX_TIMER_DELAY_MS),
    expireAfterMs: checkInteger('SseRunsModule expireAfterMs', given.expireAfterMs, 1, 600_000),
    maxDurationMs: checkInteger('SseRunsModule maxDurationMs', given.maxDurationMs, 0, 3_600_000),
    maxQueuedValues: checkInteger('SseRunsModule maxQueuedValues', given.maxQueuedValues, 1, 10_000),
  };
}
