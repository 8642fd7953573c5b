import { Logger } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import type { ClientBase, QueryResultRow } from 'pg';
import { Subject, type Observable } from 'rxjs';
import type {
  SseBroker,
  SseBrokerMessage,
  SseBrokerPosition,
  SseBrokerPublishOptions,
  SseBrokerSentMessage,
  SseBrokerStatus,
  SseHistoryPage,
} from '../sse-broker.interface.js';
import { checkChannelName } from '../../protocol/channel-name.js';
import { newEpoch } from '../../protocol/event-id.js';
import type { PostgresSseBrokerOptions } from './postgres-sse-broker-options.interface.js';
import { checkReadArguments } from '../shared/broker-arguments.js';
import { encodeSentMessage, sentMessageOf } from './postgres-sse.codec.js';
import { MAX_READ_LIMIT, PostgresSseHistoryReader } from './postgres-sse-history-reader.js';
import { PostgresSseInbound } from './postgres-sse-inbound.js';
import { POSTGRES_SSE_MESSAGES, type PostgresSseEffect } from './postgres-sse.messages.js';
import { outsideTransaction, positionOf, publishValues, type PublishRow } from './postgres-sse-publish.js';
import { PostgresSseRuntime } from './postgres-sse-runtime.js';
import { PostgresSseStatements, type PostgresSseStatement } from './postgres-sse.statements.js';
import { resolvePostgresSseOptions, type ResolvedPostgresSseOptions } from './resolve-postgres-sse-options.js';

/**
 * The broker for several instances of an app on one PostgreSQL database
 * (with `pg`): positions, history and delivery shared through tables and
 * LISTEN/NOTIFY.
 *
 * ```ts
 * import { PostgresSseBroker, PostgresSseScheduleLock } from 'nestjs-event-stream/postgres';
 *
 * const broker = new PostgresSseBroker({ url: process.env.DATABASE_URL, namespace: 'chat' });
 * SseModule.forRoot({ broker, scheduleLock: new PostgresSseScheduleLock(broker) })
 *
 * // An event that is delivered if and only if the app's own transaction commits:
 * await client.query('BEGIN');
 * await client.query('INSERT INTO orders ...');
 * await broker.publishIn(client, 'orders', encodeEvent({ event: 'order', data: order }));
 * await client.query('COMMIT');
 * ```
 *
 * - Every event gets its position from one counter row per namespace,
 *   incremented under its row lock by one function (`sse_publish_v1`) that
 *   also stores, trims and NOTIFYs it: commit order is seq order, so every
 *   instance receives the events of a namespace exactly once, in seq order.
 *   Payloads too large for a NOTIFY (about 7.9 kB) are read back from a table.
 * - History lives in a table, bounded in events, age, bytes per channel and
 *   in all, and channels (see `PostgresSseHistoryOptions`); a resume past
 *   what was let go of says `expired`.
 * - `publish(..., { idempotencyKey })` stores a retried publish once, across
 *   instances, within `idempotencyTtlMs`. `publishIn(client, ...)` publishes
 *   inside the caller's transaction (the outbox pattern).
 * - One pool for commands and one LISTEN connection per instance, whatever
 *   the number of streams; the tables and functions are created at connect.
 * - While PostgreSQL is away, nothing crashes: publishing rejects at once
 *   with `PostgresSseUnavailableError` (a 503), local streams stay open, and
 *   once it is back the broker LISTENs again and reports a `gap` on
 *   `messages$`, from which the hub catches its streams up. `status()` says
 *   `down`, `resyncing` or `up`, for health checks.
 */
export class PostgresSseBroker implements SseBroker {
  /** This instance's id in the namespace (its marker channel, the owner of its schedule claims). */
  readonly instanceId = randomBytes(8).toString('hex');
  private readonly subject = new Subject<SseBrokerMessage>();
  readonly messages$: Observable<SseBrokerMessage> = this.subject.asObservable();

  private readonly logger = new Logger('PostgresSseBroker');
  private readonly settings: ResolvedPostgresSseOptions;
  private readonly statements: PostgresSseStatements;
  private readonly reader: PostgresSseHistoryReader;
  private readonly inbound: PostgresSseInbound;
  private runtime: PostgresSseRuntime | undefined;
  private connecting = false;
  private closed = false;
  /** `publishIn()` ran on a client with no transaction open, and that was said (once). */
  private warnedAutocommit = false;
  /** When the broker was made, then closed: the `since` of `status()` without a link. */
  private since = Date.now();

  constructor(options: PostgresSseBrokerOptions = {}) {
    this.settings = resolvePostgresSseOptions(options);
    this.statements = new PostgresSseStatements(this.settings.schema, this.settings.namespace, this.instanceId);
    this.reader = new PostgresSseHistoryReader(this.statements, this.settings);
    this.inbound = new PostgresSseInbound(
      {
        deliver: (message) => this.subject.next(message),
        synced: () => this.runtime?.listener.synced(),
        readSpill: (ids) => this.readSpill(ids),
      },
      this.logger,
    );
  }

  /** The namespace: instances with the same one (on the same database and schema) share everything. */
  get namespace(): string {
    return this.settings.namespace;
  }

  /** The schema of the broker's tables and functions. */
  get schema(): string {
    return this.settings.schema;
  }

  /** The channel the namespace's events and messages are NOTIFYd on (`sse_<hash>`), e.g. to watch with psql. */
  get notifyChannel(): string {
    return this.statements.notifyChannel;
  }

  /**
   * Opens the pool (unless given one) and the LISTEN connection, creating
   * the tables and functions if they are missing. Resolves once listening,
   * or after `connectTimeoutMs` without PostgreSQL (the broker keeps
   * connecting in the background): an unreachable database does not stop
   * the app from starting.
   */
  async connect(): Promise<void> {
    if (this.closed) throw new Error(POSTGRES_SSE_MESSAGES.closed('connect'));
    if (this.connecting) throw new Error(POSTGRES_SSE_MESSAGES.alreadyConnected());
    this.connecting = true;
    const runtime = await PostgresSseRuntime.open(
      this.settings,
      this.instanceId,
      this.statements,
      this.inbound,
      this.logger,
    );
    if (this.closed) return runtime.close();
    this.runtime = runtime;
    const { connectTimeoutMs } = this.settings;
    const up = await runtime.listener.start(connectTimeoutMs);
    const { target } = runtime.connections;
    if (!up && !this.closed) this.logger.warn(POSTGRES_SSE_MESSAGES.startedWithoutPostgres(target, connectTimeoutMs));
  }

  /**
   * Stores the payload and delivers it to every instance, in one statement,
   * within the history's bounds; resolves to its position. With an
   * `idempotencyKey` the namespace has seen on the channel within
   * `idempotencyTtlMs`, stores and delivers nothing and resolves to the first
   * one's position. Rejects with `PostgresSseUnavailableError` at once while
   * PostgreSQL is unreachable (`maybePublished` false), and after
   * `commandTimeoutMs` when it does not answer (`maybePublished` true:
   * retry with the same key).
   */
  async publish(channel: string, payload: string, options: SseBrokerPublishOptions = {}): Promise<SseBrokerPosition> {
    const values = publishValues(
      this.settings,
      this.notifyChannel,
      'PostgresSseBroker.publish()',
      channel,
      payload,
      options,
    );
    const operation = `publish to channel ${JSON.stringify(channel)}`;
    return positionOf((await this.command<PublishRow>(operation, 'publish', this.statements.publish, values)).rows);
  }

  /**
   * Publishes like `publish()`, but on `client` (a `pg` client of the app's,
   * a transaction open on it): the event is stored and delivered if and only
   * if that transaction commits (NOTIFY is transactional), at a position
   * that a rollback gives back (the counter's increment is rolled back too:
   * no hole). Resolves to the position it will have. Until the transaction
   * ends, it holds the namespace's row lock: every other publish of the
   * namespace waits behind it, so keep such transactions short. `payload`
   * is what `SseHub.publish()` hands its broker: an event encoded by
   * `encodeEvent()` (from `nestjs-event-stream`), without an id. Needs
   * `connect()` (which creates the functions); errors of the client are
   * passed on as `pg` gave them. In REPEATABLE READ or SERIALIZABLE
   * transactions, a concurrent publish makes it fail with a serialization
   * error: retry the transaction.
   *
   * On a client with no transaction open it commits on its own, a plain
   * publish without `commandTimeoutMs` and the 503s of `publish()` (the
   * client's errors and `statement_timeout` apply), logged once.
   */
  async publishIn(
    client: ClientBase,
    channel: string,
    payload: string,
    options: SseBrokerPublishOptions = {},
  ): Promise<SseBrokerPosition> {
    if (typeof (client as Partial<ClientBase> | null)?.query !== 'function') {
      throw new TypeError(POSTGRES_SSE_MESSAGES.invalidClient(client));
    }
    const method = 'PostgresSseBroker.publishIn()';
    const values = publishValues(this.settings, this.notifyChannel, method, channel, payload, options);
    const operation = `publish to channel ${JSON.stringify(channel)}`;
    const { commands } = this.runtimeFor(operation);
    if (this.inbound.received === undefined) {
      // Not listened yet, so the namespace's row may be missing: made now in a transaction of its own, not
      // left uncommitted in the caller's (where every head read of the namespace would wait behind it).
      const head = [this.namespace, newEpoch(), null];
      await commands.run(`create the namespace to ${operation}`, undefined, this.statements.head, head);
    }
    const { name, text } = this.statements.publish;
    const position = positionOf((await client.query<PublishRow>({ name, text, values })).rows);
    if (!this.warnedAutocommit && outsideTransaction(client)) {
      this.warnedAutocommit = true;
      this.logger.warn(POSTGRES_SSE_MESSAGES.publishInWithoutTransaction());
    }
    return position;
  }

  /** Delivers a broadcast, targeted send, disconnect or revoke to every instance (not stored). Rejects like `publish()`. */
  async send(message: SseBrokerSentMessage): Promise<void> {
    const checked = sentMessageOf(message);
    if (!checked) throw new TypeError(POSTGRES_SSE_MESSAGES.invalidMessage(message));
    const values = [this.namespace, this.notifyChannel, encodeSentMessage(checked)];
    await this.command(`send a ${checked.type} message`, 'send', this.statements.send, values);
  }

  /**
   * Delivers the channel's events here from now on. The LISTEN connection
   * receives every event of the namespace; those of channels not subscribed
   * are not delivered (nor their spilled payloads read). Rejects with
   * `PostgresSseUnavailableError` at once while PostgreSQL is away; before
   * the LISTEN connection has been set up for the first time, waits for it
   * up to `commandTimeoutMs`, then rejects likewise (an event published
   * before it listens would be missed, with no `gap` to say so).
   */
  async subscribe(channel: string): Promise<void> {
    checkChannelName(channel);
    const operation = `join channel ${JSON.stringify(channel)}`;
    const { health, refusals, listener } = this.runtimeFor(operation);
    this.inbound.subscribe(channel);
    if (health.refusing) {
      throw refusals.unavailable(operation, health.lastError ?? POSTGRES_SSE_MESSAGES.connectionClosed());
    }
    // Never listened yet (a first connection still being set up): no event would come, and no gap after.
    if (this.inbound.received === undefined && !(await listener.whenUp(this.settings.commandTimeoutMs))) {
      throw refusals.unavailable(operation, health.lastError ?? POSTGRES_SSE_MESSAGES.notListeningYet());
    }
  }

  /** Stops delivering the channel's events here. */
  unsubscribe(channel: string): void {
    checkChannelName(channel);
    this.inbound.unsubscribe(channel);
  }

  /**
   * At most `limit` (1 to 10000) events of `channels` after `after`, in seq
   * order, read in one statement. See `SseHistoryPage` for `more`, `reset` and `head`.
   */
  async read(channels: readonly string[], after: SseBrokerPosition, limit: number): Promise<SseHistoryPage> {
    const names = checkReadArguments(POSTGRES_SSE_MESSAGES, channels, after, limit, MAX_READ_LIMIT);
    const { commands } = this.runtimeFor('read history');
    return this.reader.read(commands, names, after, limit);
  }

  /**
   * The namespace's newest position (seq 0 before its first event), its row
   * created if it has none yet. Read by a statement that also NOTIFYs a
   * marker to this instance, and resolved once that marker has come through
   * the LISTEN connection: every event up to the position of the subscribed
   * channels has been delivered on `messages$`. Rejects like `read()`, and
   * after `commandTimeoutMs` when the marker does not come.
   */
  async head(): Promise<SseBrokerPosition> {
    const operation = 'read the newest position';
    const values = [this.namespace, newEpoch(), this.statements.markerChannel];
    const { commands, refusals } = this.runtimeFor(operation);
    const options = { needsListener: true };
    const { rows } = await commands.run<PublishRow>(operation, undefined, this.statements.head, values, options);
    const head = positionOf(rows);
    const timeoutMs = this.settings.commandTimeoutMs;
    await this.inbound.waitFor(head, timeoutMs, () =>
      refusals.unanswered(operation, POSTGRES_SSE_MESSAGES.noAnswer(timeoutMs), undefined, false),
    );
    return head;
  }

  /**
   * Claims `name` in the namespace for `ttlMs` (`sse_claim_v1`), on the
   * LISTEN connection (a tick never waits for a pool connection to be made):
   * resolves to whether this call took it. For `PostgresSseScheduleLock`;
   * rejects with `PostgresSseUnavailableError` while that connection is not
   * up, and after `commandTimeoutMs` without an answer.
   */
  async claim(name: string, ttlMs: number): Promise<boolean> {
    const values = [this.namespace, name, this.instanceId, ttlMs];
    const operation = `take the lock ${JSON.stringify(name)}`;
    const { commands } = this.runtimeFor(operation);
    const claim = this.statements.claim;
    const { rows } = await commands.run<{ taken: boolean }>(operation, undefined, claim, values, { lane: 'listener' });
    return rows[0]?.taken === true;
  }

  /**
   * The link's state now, for health checks: `down` before `connect()`,
   * until the LISTEN connection has been set up once, during an outage (the
   * last connection error as `detail`, never a password), while PostgreSQL
   * does not answer commands, and once closed; `resyncing` from when the
   * LISTEN connection is back until its `gap` has been delivered on
   * `messages$`; `up` otherwise. `since`: when the state last changed.
   */
  status(): SseBrokerStatus {
    if (this.closed) return { state: 'down', detail: POSTGRES_SSE_MESSAGES.statusClosed(), since: this.since };
    if (!this.runtime) return { state: 'down', detail: POSTGRES_SSE_MESSAGES.statusNotConnected(), since: this.since };
    return this.runtime.health.status();
  }

  /** Ends the LISTEN connection and the pool it opened (never a `pool` it was given), and completes `messages$`. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.since = Date.now();
    this.inbound.close(new Error(POSTGRES_SSE_MESSAGES.closed('read the newest position')));
    await this.runtime?.close();
    this.subject.complete();
  }

  private command<R extends QueryResultRow>(
    operation: string,
    effect: PostgresSseEffect,
    statement: PostgresSseStatement,
    values: readonly unknown[],
  ) {
    return this.runtimeFor(operation).commands.run<R>(operation, effect, statement, values);
  }

  private async readSpill(ids: readonly string[]): Promise<Map<string, string>> {
    const values = [this.namespace, ids];
    const { rows } = await this.command<{ id: string; body: string }>(
      'read a payload back',
      undefined,
      this.statements.spill,
      values,
    );
    return new Map(rows.map((row) => [row.id, row.body]));
  }

  private runtimeFor(operation: string): PostgresSseRuntime {
    if (this.closed) throw new Error(POSTGRES_SSE_MESSAGES.closed(operation));
    if (!this.runtime) throw new Error(POSTGRES_SSE_MESSAGES.notConnected(operation));
    return this.runtime;
  }
}
