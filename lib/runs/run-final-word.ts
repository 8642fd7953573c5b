import type { SseCloseReason } from '../stream/sse-client.interface.js';
import type { RunEnd } from './run-records.js';

/** The final word of a run's listeners that are left with nothing to resume. */
const GONE = Object.freeze({ status: 503, message: 'Service Unavailable' });

/**
 * How a listener's stream ends for how its run ended: `completed` (with
 * `outcome` when the run did not complete: `cancelled`, `idle`, `timeout`),
 * or `error` for a run that failed (its status and message) or whose
 * instance shut down or was lost (503): a client that reconnects after it
 * has it all gets 204 and stops. Pure.
 */
export function runFinalWord(end: RunEnd): { reason: SseCloseReason; details?: Record<string, unknown> } {
  switch (end.outcome) {
    case 'completed':
      return { reason: 'completed' };
    case 'failed':
      return { reason: 'error', details: { ...(end.error ?? GONE), outcome: end.outcome } };
    case 'shutdown':
    case 'lost':
      return { reason: 'error', details: { ...GONE, outcome: end.outcome } };
    default:
      return { reason: 'completed', details: { outcome: end.outcome } };
  }
}
