import type { Logger } from '@nestjs/common';
import { isBrokerUnavailable } from '../brokers/sse-broker-unavailable.error.js';
import { errorMessage, SSE_MESSAGES } from '../sse.messages.js';

/**
 * Whether one scheduled job's ticks are failing because the hub's broker (or
 * the schedule lock's store) is unavailable, and since when. While it is, a
 * tick that fails for that reason is counted, not logged: the job logs one
 * error when the outage begins and one line when a tick gets through again,
 * with how many failed meanwhile. Any other failure is logged on every tick,
 * as before. Owned by the job's `ScheduledBroadcast`.
 */
export class BrokerOutage {
  private since?: number;
  private failed = 0;

  constructor(
    private readonly job: string,
    private readonly channel: string,
    private readonly logger: Logger,
  ) {}

  /**
   * Counts `error` against the outage if it says the broker is unavailable,
   * logging it when it is the first; returns `false` for any other error (the
   * caller logs it).
   */
  failedWith(error: unknown): boolean {
    if (!isBrokerUnavailable(error)) return false;
    this.failed++;
    if (this.since === undefined) {
      this.since = Date.now();
      this.logger.error(SSE_MESSAGES.scheduledBroadcastUnavailable(this.job, this.channel, logDetail(error)));
    }
    return true;
  }

  /** A tick got through (it published, or another instance holds it): ends the outage, if any, saying so. */
  reached(): void {
    if (this.since === undefined) return;
    const seconds = (Date.now() - this.since) / 1000;
    this.logger.log(SSE_MESSAGES.scheduledBroadcastRecovered(this.job, this.channel, this.failed, seconds));
    this.since = undefined;
    this.failed = 0;
  }
}

/**
 * What to log of an unavailable error: its `detail` (where the store is and
 * what failed, which `SseBrokerUnavailableError` keeps out of its message, the
 * text a client may see), else its message; without a final period, as the
 * log line goes on after it.
 */
function logDetail(error: unknown): string {
  const detail = (error as { detail?: unknown }).detail;
  const text = typeof detail === 'string' && detail !== '' ? detail : errorMessage(error);
  return text.replace(/\.\s*$/, '');
}
