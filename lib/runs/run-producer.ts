import { HttpException, type Logger } from '@nestjs/common';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import type { SseHub } from '../hub/sse-hub.js';
import { formatEventId, parseEventId } from '../protocol/event-id.js';
import type { SseRunEncoder, SseRunPreset } from '../presets/sse-run-preset.interface.js';
import type { RunRef } from './run-names.js';
import {
  encodeRecord,
  endKey,
  endOf,
  type RunEnd,
  type RunRecord,
  type SseRunError,
  type SseRunOutcome,
} from './run-records.js';
import { discardSource, iteratorOf, type SseRunProducer } from './run-source.js';
import { retryRecord, type RetryPacing } from './record-retry.js';
import type { ResolvedSseRunsOptions } from './sse-runs-options.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';

/** What a failed run tells its listeners when its error is not an HttpException. */
const INTERNAL_ERROR: SseRunError = Object.freeze({ status: 500, message: 'Internal server error' });

/** What the error of a failed producer tells clients: an HttpException's status and message, else a plain 500. */
function clientErrorOf(error: unknown): SseRunError {
  return error instanceof HttpException ? { status: error.getStatus(), message: error.message } : INTERNAL_ERROR;
}

/** What a run's producer needs of the service that runs it. */
export interface RunProducerHost {
  readonly hub: SseHub;
  readonly broker: SseBroker;
  readonly logger: Logger;
  readonly options: ResolvedSseRunsOptions;
  /** The app is shutting down: a record that fails is not retried. */
  readonly closing: boolean;
}

/** Told once the run is over (its end recorded, or given up on). */
export type RunOver = (end: RunEnd) => void;

const STOPPED = Symbol('stopped');

/** Who a run is: its id and channels, the id of its start record, the nonce of its start. */
export interface RunIdentity {
  readonly ref: RunRef;
  readonly startId: string;
  readonly nonce: string;
  readonly startedAt: number;
}

/**
 * One run on the instance that produces it: makes the preset's encoder,
 * pulls the producer's values, has the encoder encode them, records each on
 * the run's channel (in order, one publish at a time, retried while the
 * broker is away without ever recording one twice), then the preset's
 * closing events and the end record. Whatever fails (the encoder, the
 * producer) fails the run, whose end is recorded all the same. Records its
 * state again on each `beat()`. Stops early on `stop()` (cancel, idle,
 * timeout, shutdown, an end recorded by another instance): aborts its signal
 * and ends the producer (an Observable's teardown runs at once, an
 * AsyncIterable's `return()` is called, also when it arrives after the stop).
 * The one owner of the producer's subscription and of its retry timer.
 * Logs with its service's logger (`SseRuns`): a run is part of it.
 */
export class RunProducer implements RetryPacing {
  readonly ref: RunRef;
  readonly startedAt: number;
  /** The last time a listener was seen (here or, by lease, elsewhere). */
  lastHeard: number;
  /** The last time the run's state was recorded (its start, or a beat). */
  lastBeat: number;
  private last: string;
  private encoder: SseRunEncoder | undefined;
  private beatFailing = false;
  private stopping: SseRunOutcome | undefined;
  private finished = false;
  private readonly stopped: Promise<typeof STOPPED>;
  private stop$!: () => void;
  private readonly abort = new AbortController();
  private iterator: AsyncIterator<unknown> | undefined;
  private pause: { timer: ReturnType<typeof setTimeout>; resolve(): void } | undefined;
  /** Settles once the run is over. */
  readonly done: Promise<void>;

  constructor(
    private readonly host: RunProducerHost,
    private readonly identity: RunIdentity,
    preset: SseRunPreset,
    producer: SseRunProducer,
    over: RunOver,
  ) {
    this.ref = identity.ref;
    this.startedAt = this.lastHeard = this.lastBeat = identity.startedAt;
    this.last = identity.startId;
    this.stopped = new Promise((resolve) => (this.stop$ = () => resolve(STOPPED)));
    this.done = this.run(preset, producer).then(over);
  }

  /** Whether the run is still producing (not stopping, not over). */
  get running(): boolean {
    return this.stopping === undefined && !this.finished;
  }

  get givingUp(): boolean {
    return this.host.closing;
  }

  /** A listener was seen now. */
  heard(now: number): void {
    this.lastHeard = now;
  }

  /** Records the run's state again (not awaited: a beat that fails is logged once, the next one is the retry). */
  beat(now: number): void {
    if (!this.running) return;
    this.lastBeat = now;
    const { startId, nonce } = this.identity;
    const payload = encodeRecord({ t: 'beat', s: startId, n: nonce, last: this.last, at: now });
    Promise.resolve()
      .then(() => this.host.broker.publish(this.ref.stateChannel, payload))
      .then(
        () => (this.beatFailing = false),
        (error: unknown) => {
          if (!this.beatFailing) this.host.logger.warn(SSE_RUNS_MESSAGES.beatFailed(this.ref.id, error));
          this.beatFailing = true;
        },
      );
  }

  /** Stops the run early with `outcome`; false if it was stopping or over already. */
  stop(outcome: SseRunOutcome): boolean {
    if (!this.running) return false;
    this.stopping = outcome;
    this.stop$();
    this.abort.abort(new Error(`The run was stopped: ${outcome}.`));
    this.closeProducer();
    this.pause?.resolve();
    return true;
  }

  /** A pause between retries, cut short by `stop()` and `dispose()`. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.pause = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.pause = { timer, resolve: done };
    });
  }

  private async run(preset: SseRunPreset, producer: SseRunProducer): Promise<RunEnd> {
    let outcome: SseRunOutcome = 'completed';
    let error: SseRunError | undefined;
    try {
      this.encoder = preset.encoder({ id: this.ref.id, startedAt: this.startedAt });
      await this.pull(producer);
    } catch (failure) {
      if (this.stopping === undefined) {
        outcome = 'failed';
        error = clientErrorOf(failure);
        this.host.logger.error(SSE_RUNS_MESSAGES.runFailed(this.ref.id, failure), (failure as Error)?.stack);
      }
    }
    outcome = this.stopping ?? outcome;
    this.stopping ??= outcome;
    this.closeProducer();
    try {
      for (const event of this.encoder?.end(outcome, error) ?? []) await this.record(event);
    } catch (failure) {
      this.host.logger.error(SSE_RUNS_MESSAGES.runFailed(this.ref.id, failure));
    }
    return this.recordEnd(outcome, error);
  }

  private async pull(producer: SseRunProducer): Promise<void> {
    // A run stopped before its producer was called (cancelled at once) never calls it.
    const made = Promise.resolve().then(() =>
      this.stopping ? STOPPED : producer({ id: this.ref.id, signal: this.abort.signal }),
    );
    const source = await this.race(made);
    if (source === STOPPED || this.stopping) {
      // Stopped while the producer was making its source: let go of it when it comes.
      made.then(discardSource, () => undefined);
      return;
    }
    const iterator = (this.iterator = iteratorOf(source, this.host.options.maxQueuedValues));
    for (;;) {
      const step = await this.race(iterator.next());
      if (step === STOPPED || this.stopping || step.done) return;
      for (const event of this.encoder!.encode(step.value)) await this.record(event);
      if (this.stopping) return;
    }
  }

  private race<T>(promise: Promise<T>): Promise<T | typeof STOPPED> {
    return Promise.race([promise, this.stopped]);
  }

  /** Ends the producer: an Observable is unsubscribed, an AsyncIterable told to return. */
  private closeProducer(): void {
    const iterator = this.iterator;
    this.iterator = undefined;
    if (iterator?.return)
      void Promise.resolve()
        .then(() => iterator.return!())
        .catch(() => undefined);
  }

  /** Records one event on the run's channel (the hub encodes it). */
  private async record(value: unknown): Promise<void> {
    const { hub, broker } = this.host;
    this.last = await retryRecord(
      this,
      () => hub.publishReserved(this.ref.channel, value),
      async () => {
        // The run's channel has one writer, this run: an event after the last one recorded is this one.
        const page = await broker.read([this.ref.channel], parseEventId(this.last)!, 1);
        const event = page.events[0];
        return event && formatEventId(event.epoch, event.seq);
      },
    );
  }

  /** Records how the run ended (once, whatever the retries: the record has this run's idempotency key). */
  private async recordEnd(outcome: SseRunOutcome, error: SseRunError | undefined): Promise<RunEnd> {
    const at = Date.now();
    const { startId, nonce } = this.identity;
    const exp = at + this.host.options.expireAfterMs;
    const record: RunRecord = { t: 'end', o: outcome, last: this.last, at, exp, s: startId, n: nonce };
    const end = endOf(error ? { ...record, err: error } : record);
    const payload = encodeRecord(error ? { ...record, err: error } : record);
    const idempotencyKey = endKey(nonce);
    try {
      await retryRecord(
        this,
        () => Promise.resolve(this.host.broker.publish(this.ref.stateChannel, payload, { idempotencyKey })),
        () => Promise.resolve(undefined),
      );
    } catch (failure) {
      this.host.logger.error(SSE_RUNS_MESSAGES.recordFailed(this.ref.id, failure));
    }
    this.finished = true;
    this.dispose();
    return end;
  }

  /** Releases the retry timer. */
  dispose(): void {
    this.pause?.resolve();
  }
}
