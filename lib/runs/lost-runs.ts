import type { Logger } from '@nestjs/common';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { formatEventId, parseEventId } from '../protocol/event-id.js';
import type { RunRef } from './run-names.js';
import { encodeRecord, endKey, endOf, type RunRecord, type RunState } from './run-records.js';
import type { RunWatches } from './run-watches.js';
import type { ResolvedSseRunsOptions } from './sse-runs-options.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';
import type { WatchedRun } from './watched-run.js';

/** Events read per page to find the last one of a lost run's channel, and pages at most. */
const RUN_PAGE = 256;
const MAX_RUN_PAGES = 64;

/**
 * Looks into runs that listeners here follow and whose instance has not
 * recorded their state for `lostAfterMs`: their state is read again, and a
 * run that recorded something meanwhile (this instance missed it) goes on;
 * one still silent is ended for its instance, outcome `lost`, with an end
 * record (its per-run key: if its instance records its own end after all,
 * the first of the two stands), so that every listener, here and elsewhere,
 * now and later, gets the final word instead of waiting forever. A check
 * that cannot reach the broker is tried again later. Logs under `SseRuns`.
 */
export class LostRuns {
  constructor(
    private readonly broker: SseBroker,
    private readonly watches: RunWatches,
    private readonly options: ResolvedSseRunsOptions,
    private readonly logger: Logger,
  ) {}

  /** Looks into `run` (once at a time). */
  check(run: WatchedRun, silentMs: number): void {
    if (run.checking || run.end) return;
    run.checking = true;
    this.confirm(run, silentMs)
      // The broker could not say: wait another while before asking again.
      .catch((error: unknown) => {
        run.heard();
        this.logger.warn(SSE_RUNS_MESSAGES.lostCheckFailed(run.ref.id, error));
      })
      .finally(() => (run.checking = false));
  }

  private async confirm(run: WatchedRun, silentMs: number): Promise<void> {
    const known = run.newest;
    const state = await this.watches.read(run.ref);
    if (!state) {
      // Every record of it is gone from the broker: nothing can be recorded for it; its listeners here are told.
      const at = Date.now();
      if (run.last) run.ended({ outcome: 'lost', last: run.last, expiresAt: at + this.options.expireAfterMs });
      else run.heard();
      return;
    }
    if (state.end || state.newest > known) return run.apply(state);
    const last = await this.lastEvent(run.ref, state);
    const at = Date.now();
    const record: RunRecord = {
      t: 'end',
      o: 'lost',
      last,
      at,
      exp: at + this.options.expireAfterMs,
      s: state.startId,
      n: state.nonce,
    };
    await this.broker.publish(run.ref.stateChannel, encodeRecord(record), { idempotencyKey: endKey(state.nonce) });
    this.logger.warn(SSE_RUNS_MESSAGES.runLost(run.ref.id, silentMs));
    // The end that stands (this one, or one its instance recorded first): read it; this one if that fails.
    const recorded = await this.watches.read(run.ref).catch(() => undefined);
    if (recorded?.end) run.apply(recorded);
    else run.ended(endOf(record));
  }

  /** The id of the last event on the run's channel, reading on from the last one its records named. */
  private async lastEvent(ref: RunRef, state: RunState): Promise<string> {
    let after = parseEventId(state.last);
    let last = state.last;
    for (let pages = 0; after && pages < MAX_RUN_PAGES; pages++) {
      const page = await this.broker.read([ref.channel], after, RUN_PAGE);
      if (page.reset === 'unknown') break;
      const event = page.events.at(-1);
      if (!event) break;
      last = formatEventId(event.epoch, event.seq);
      if (!page.more) break;
      after = { epoch: event.epoch, seq: event.seq };
    }
    return last;
  }
}
