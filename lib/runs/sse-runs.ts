import {
  BadRequestException,
  ConflictException,
  Inject,
  Injectable,
  Logger,
  ServiceUnavailableException,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { randomBytes, randomUUID } from 'node:crypto';
import type { Observable } from 'rxjs';
import { SSE_BROKER } from '../sse.constants.js';
import type { SseBroker } from '../brokers/sse-broker.interface.js';
import { SseHub } from '../hub/sse-hub.js';
import { parseEventId } from '../protocol/event-id.js';
import { SSE_MESSAGES } from '../sse.messages.js';
import type { SseClient } from '../stream/sse-client.interface.js';
import { SseConnection } from '../stream/sse-connection.js';
import { isSseRunPreset } from '../presets/sse-run-preset.interface.js';
import { sseRunEvents } from '../presets/sse-run-events.preset.js';
import { LocalRuns } from './local-runs.js';
import { isRunId, runRefOf, type RunRef } from './run-names.js';
import { RunProducer, type RunProducerHost } from './run-producer.js';
import { cancelKey, encodeRecord, type RunEnd, type RunState } from './run-records.js';
import { runListener, type RunListenerStream } from './run-listener.js';
import { RetryPauses, retryRecord } from './record-retry.js';
import { checkKeepsHistory } from './history-check.js';
import type { SseRunProducer } from './run-source.js';
import { RunWatches } from './run-watches.js';
import { SSE_RUNS_RESOLVED_OPTIONS } from './sse-runs.module-definition.js';
import type { ResolvedSseRunsOptions } from './sse-runs-options.interface.js';
import { SSE_RUNS_MESSAGES } from './sse-runs.messages.js';
import type { SseRunHandle, SseRunListenOptions, SseRunLookup, SseRunStartOptions } from './sse-runs.interface.js';

export type { SseRunHandle, SseRunListenOptions, SseRunLookup, SseRunStartOptions } from './sse-runs.interface.js';

/**
 * Resumable runs: work (a model's tokens, a long job) started as a run with
 * an id, whose events are recorded through the hub's broker as they are
 * streamed. A run is detached from the connection that started it: a
 * disconnect does not stop it; `cancel()` (on any instance) does, and so
 * does having no listener for `idleTimeoutMs`. A client resumes on any
 * instance with `Last-Event-ID` (what it missed, then the rest live, then
 * the final word), two tabs both get every event, and a client that comes
 * after the end gets the whole recording until it expires, then 204.
 *
 * @example
 * \@Controller()
 * export class RunsController {
 *   constructor(private readonly runs: SseRuns, private readonly model: Model) {}
 *
 *   \@RunStream('runs', { method: 'POST' }) // a fetch client reads the run as it is made
 *   start(\@Body() body: Prompt, \@SseClient() client: SseClient, \@Headers('idempotency-key') key?: string) {
 *     return this.runs.stream(client, ({ signal }) => this.model.tokens(body.prompt, signal), { id: key });
 *   }
 *
 *   \@RunStream('runs/:id') // resume, on any instance, with Last-Event-ID
 *   resume(\@Param('id') id: string, \@SseClient() client: SseClient) {
 *     return this.runs.listen(client, id);
 *   }
 *
 *   \@Delete('runs/:id')
 *   \@HttpCode(204)
 *   async cancel(\@Param('id') id: string) {
 *     if (!(await this.runs.cancel(id))) throw new NotFoundException();
 *   }
 * }
 */
@Injectable()
export class SseRuns
  implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy, BeforeApplicationShutdown, RunProducerHost
{
  readonly logger = new Logger('SseRuns');
  private readonly watches: RunWatches;
  private readonly local: LocalRuns;
  /** The pauses of starts retrying while the broker is away (cut short once starts are refused). */
  private readonly pauses = new RetryPauses(() => this.refusingStarts);
  /** This instance's listener streams (ended in their preset's words at shutdown). */
  private readonly streams = new Set<RunListenerStream>();
  /** Starts deciding whether they win (counted against `maxRuns`). */
  private starting = 0;
  /** The app began to close (`onModuleDestroy`): starts are refused. */
  private refusingStarts = false;
  /** The app shuts down (`beforeApplicationShutdown`): records that fail are not retried. */
  private shuttingDown = false;

  constructor(
    readonly hub: SseHub,
    @Inject(SSE_BROKER) readonly broker: SseBroker,
    @Inject(SSE_RUNS_RESOLVED_OPTIONS) readonly options: ResolvedSseRunsOptions,
  ) {
    this.watches = new RunWatches(broker, this.logger, {
      lease: (channels) => this.local.leased(channels),
      gap: () => this.local.gap(),
    });
    this.local = new LocalRuns(broker, this.watches, options, this.logger);
  }

  onModuleInit(): void {
    this.watches.open();
  }

  /** Checks that the broker keeps history (runs are recorded in it): an error naming the option if it keeps none. */
  onApplicationBootstrap(): Promise<void> {
    return checkKeepsHistory(this.broker, this.logger);
  }

  /**
   * The app begins to close: starts are refused from now on, and this
   * instance's listeners whose preset has words for it are told so, and
   * ended (before the streams are ended with the final word `shutdown`,
   * which those clients do not read). The others end as before: with their
   * run's end (outcome `shutdown`) if it is produced here, else `shutdown`.
   */
  onModuleDestroy(): void {
    this.refusingStarts = true;
    this.pauses.cutAll();
    for (const stream of [...this.streams]) stream.interrupt('shutdown');
  }

  /** Stops this instance's runs (outcome `shutdown`: their listeners are told) before the broker closes. */
  async beforeApplicationShutdown(): Promise<void> {
    this.refusingStarts = this.shuttingDown = true;
    this.pauses.cutAll();
    await this.local.close();
    this.watches.close();
  }

  /** @internal Whether the app is shutting down. */
  get closing(): boolean {
    return this.shuttingDown;
  }

  /** Runs this instance produces now. */
  get running(): number {
    return this.local.size;
  }

  /**
   * Starts a run, or joins the run that has `options.id` (a retried request):
   * `producer` is called only when this call starts it. Resolves once the
   * run is recorded as started (a start the broker may have stored without
   * answering is looked for, and retried, for up to 10 s). Refused with 503
   * (`ServiceUnavailableException`) past `maxRuns`, while the app shuts down
   * and while the broker is away; 400 for a bad id, 409 for the id of a run
   * that expired.
   */
  async start(producer: SseRunProducer, options: SseRunStartOptions = {}): Promise<SseRunHandle> {
    if (typeof producer !== 'function') throw new TypeError(SSE_RUNS_MESSAGES.invalidProducer(producer));
    const preset = options.preset ?? sseRunEvents;
    if (!isSseRunPreset(preset)) throw new TypeError(SSE_RUNS_MESSAGES.invalidPreset(preset));
    const ref = this.refOf(options.id ?? randomUUID(), options.owner);
    if (this.refusingStarts) throw new ServiceUnavailableException(SSE_RUNS_MESSAGES.shuttingDown());
    if (this.local.get(ref.channel)) return { id: ref.id, created: false };
    if (this.local.size + this.starting >= this.options.maxRuns) {
      throw new ServiceUnavailableException(SSE_RUNS_MESSAGES.tooManyRuns(this.options.maxRuns));
    }
    this.starting++;
    let watched;
    let kept = false;
    try {
      watched = await this.watches.watch(ref);
      const nonce = randomBytes(9).toString('base64url');
      const startedAt = Date.now();
      // The first start record wins: this call's, or that of a run with this id started before (anywhere).
      const state = await this.recordStart(ref, nonce, startedAt);
      if (!state || (state.end && state.end.expiresAt <= Date.now())) {
        throw new ConflictException(SSE_RUNS_MESSAGES.runExpired(ref.id));
      }
      if (state.nonce !== nonce) return { id: ref.id, created: false };
      // This call's start won: from here the run always has a producer, which records its end whatever fails.
      const run = watched;
      const identity = { ref, startId: state.startId, nonce, startedAt };
      const produced = new RunProducer(this, identity, preset, producer, (end) => {
        run.ended(end);
        this.local.remove(produced);
        this.watches.release(run);
      });
      kept = true;
      this.local.add(produced);
      // A cancel heard meanwhile stops it at once; so does an end another instance recorded for it.
      run.onCancel = () => produced.stop('cancelled');
      run.whenEnded(() => produced.stop('lost'));
      if (state.cancelled) produced.stop('cancelled');
      else if (this.refusingStarts) produced.stop('shutdown');
      return { id: ref.id, created: true };
    } finally {
      this.starting--;
      if (watched && !kept) this.watches.release(watched);
    }
  }

  /**
   * The stream of a listener of run `id`, for the handler to return: what
   * the run recorded after the client's `Last-Event-ID` (all of it without
   * one), then the rest live, then the final word (`completed`, with
   * `outcome` when it did not complete; `error` if it failed). Resolves to
   * `null` (204 No Content: `EventSource` stops) when there is no such run,
   * its recording expired, or the client has every event already. Give it
   * the route's `preset`, so that an early end is told in its words.
   */
  async listen(client: SseClient, id: string, options: SseRunListenOptions = {}): Promise<Observable<never> | null> {
    const ref = this.refOf(id, options.owner);
    const preset = options.preset;
    if (preset !== undefined && !isSseRunPreset(preset)) throw new TypeError(SSE_RUNS_MESSAGES.invalidPreset(preset));
    if (!(client instanceof SseConnection)) throw new TypeError(SSE_MESSAGES.joinWithoutClient(client));
    const watched = await this.watches.watch(ref);
    let handed = false;
    try {
      const state = await this.watches.read(ref);
      if (!state) return null;
      watched.apply(state);
      const end = watched.end;
      if (end && (end.expiresAt <= Date.now() || hasAll(client, end))) return null;
      const listened = this.local.listened(watched);
      handed = true;
      const context = { hub: this.hub, logger: this.logger, preset, streams: this.streams };
      return runListener(context, client, watched, state, () => {
        listened();
        this.watches.release(watched);
      });
    } finally {
      if (!handed) this.watches.release(watched);
    }
  }

  /**
   * `start()` then `listen()`: for a `POST` that starts a run and answers
   * the stream itself (fetch clients). Its client resumes with
   * `listen()` on another route (`GET .../runs/:id` with `Last-Event-ID`); a
   * retried `POST` with the same id joins the run instead of starting another.
   */
  async stream(
    client: SseClient,
    producer: SseRunProducer,
    options: SseRunStartOptions = {},
  ): Promise<Observable<never> | null> {
    const { id } = await this.start(producer, options);
    return this.listen(client, id, { owner: options.owner, preset: options.preset });
  }

  /**
   * Cancels run `id`, on whichever instance runs it: its producer stops (its
   * signal aborts, its teardown runs), its preset's closing events and its
   * end are recorded, and its listeners get the final word. Resolves to
   * `true` once the cancel is taken, `false` if there is no such run or it
   * is over. On another instance than the run's, "taken" means recorded:
   * a run that completes meanwhile ends `completed` all the same (its
   * listeners say which).
   */
  async cancel(id: string, options: SseRunLookup = {}): Promise<boolean> {
    const ref = this.refOf(id, options.owner);
    const local = this.local.get(ref.channel);
    if (local) return local.stop('cancelled');
    const state = await this.watches.read(ref);
    if (!state || state.end) return false;
    const record = encodeRecord({ t: 'cancel', at: Date.now(), s: state.startId });
    await this.broker.publish(ref.stateChannel, record, { idempotencyKey: cancelKey(state.startId) });
    return true;
  }

  /**
   * Records this call's start (idempotency key `start`: a retry of it is
   * stored once) and reads the run's state. A publish that may have been
   * stored without an answer, or a read that failed, is retried while the
   * broker is away (up to 10 s), looking for the state first: the nonce that
   * won is then known, and a start of ours that was stored always gets its
   * producer.
   */
  private recordStart(ref: RunRef, nonce: string, at: number): Promise<RunState | undefined> {
    const record = encodeRecord({ t: 'start', n: nonce, at });
    return retryRecord(
      this.pauses,
      async () => {
        await this.broker.publish(ref.stateChannel, record, { idempotencyKey: 'start' });
        return this.watches.read(ref);
      },
      () => this.watches.read(ref),
    );
  }

  private refOf(id: unknown, owner: unknown): RunRef {
    if (!isRunId(id)) throw new BadRequestException(SSE_RUNS_MESSAGES.invalidRunId(id));
    if (owner === undefined) return runRefOf(id, undefined);
    if ((typeof owner !== 'string' || owner.length === 0) && typeof owner !== 'number') {
      throw new TypeError(SSE_RUNS_MESSAGES.invalidOwner(owner));
    }
    return runRefOf(id, String(owner));
  }
}

/** Whether the client's `Last-Event-ID` is at or after the run's last event: it has them all. */
function hasAll(client: SseClient, end: RunEnd): boolean {
  const seen = parseEventId(client.lastEventId);
  const last = parseEventId(end.last);
  return seen !== undefined && last !== undefined && seen.epoch === last.epoch && seen.seq >= last.seq;
}
