import type { Logger } from '@nestjs/common';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { PROBE_CHANNEL } from './run-names.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/** The probe's payload: an SSE comment, nothing a stream would show. */
const PROBE = ': sse-runs history probe\n\n';

/**
 * Checks, as the app starts, that the broker keeps channel history: it
 * publishes one comment on the probe channel and reads it back. A broker
 * that keeps none (`history.maxEvents: 0`) would make every start a 409 and
 * every listen a 204: that is an `Error` naming the option, so that the app
 * does not start. A broker that cannot answer now (Redis away at startup)
 * is not a reason to stop the app: logged, and not checked.
 */
export async function checkKeepsHistory(broker: SseBroker, logger: Logger): Promise<void> {
  let kept: boolean;
  try {
    const position = await broker.publish(PROBE_CHANNEL, PROBE);
    const page = await broker.read([PROBE_CHANNEL], { epoch: position.epoch, seq: position.seq - 1 }, 1);
    kept = page.events.some((event) => event.seq === position.seq);
  } catch (error) {
    logger.warn(SSE_RUNS_MESSAGES.noHistoryCheck(error));
    return;
  }
  if (!kept) throw new Error(SSE_RUNS_MESSAGES.noHistory());
}
