import type { Pool, PoolClient, QueryResult, QueryResultRow } from 'pg';
import {
  isCancelled,
  isConnectionError,
  isTimeout,
  reasonOf,
  timeoutError,
  withTimeout,
} from './postgres-sse-failure.js';
import type { PostgresSseLinkHealth } from './postgres-sse-link-health.js';
import type { PostgresSseListener } from './postgres-sse-listener.js';
import { POSTGRES_SSE_MESSAGES, type PostgresSseEffect } from './postgres-sse.messages.js';
import type { PostgresSseRefusals } from './postgres-sse-refusals.js';
import type { PostgresSseStatement } from './postgres-sse.statements.js';

/**
 * The broker's commands, on its pool (its own, or the app's) or its LISTEN
 * connection: each bounded by `commandTimeoutMs`, and failing with `PostgresSseUnavailableError` when PostgreSQL cannot be
 * reached or does not answer, saying whether a publish may have been done
 * (only if the statement was sent); with a plain error when PostgreSQL
 * answers with one (retrying does not help).
 */
export class PostgresSseCommands {
  constructor(
    private readonly pool: Pool,
    /** The LISTEN connection, for statements that must not wait for a pool connection (`lane: 'listener'`). */
    private readonly listener: Pick<PostgresSseListener, 'ready' | 'query' | 'reconnectNow'>,
    /** Whether the pool is the broker's own, to end on close (never the app's). */
    private readonly ownsPool: boolean,
    private readonly health: PostgresSseLinkHealth,
    private readonly refusals: PostgresSseRefusals,
    private readonly timeoutMs: number,
  ) {}

  /**
   * Runs `statement` with `values`; `operation` ends the sentence "could not
   * ...", `effect` says what may have happened. On the pool by default,
   * whatever the LISTEN connection's state (PostgreSQL that is away refuses
   * the connection at once; one that answered again is used at once, and
   * the LISTEN connection is told to reconnect now). `lane: 'listener'`: on
   * the LISTEN connection; `needsListener`: it is of no use without it
   * (`head()` waits for its marker). Both are refused at once while it is
   * not up.
   */
  async run<R extends QueryResultRow>(
    operation: string,
    effect: PostgresSseEffect,
    statement: PostgresSseStatement,
    values: readonly unknown[],
    { lane = 'pool', needsListener = false }: { lane?: 'pool' | 'listener'; needsListener?: boolean } = {},
  ): Promise<QueryResult<R>> {
    if ((lane === 'listener' || needsListener) && !this.listener.ready) {
      throw this.refusals.unavailable(
        operation,
        this.health.lastError ?? POSTGRES_SSE_MESSAGES.connectionClosed(),
        effect,
      );
    }
    const state = { sent: lane === 'listener', late: false };
    const work =
      lane === 'listener' ? this.listener.query<R>(statement, values) : this.query<R>(statement, values, state);
    try {
      const result = await withTimeout(work, this.timeoutMs);
      this.health.answered();
      this.refusals.answered();
      if (!this.listener.ready) this.listener.reconnectNow();
      return result;
    } catch (error) {
      if (isTimeout(error)) {
        // Whatever comes of it later is not this call's any more; a connection it gets is given back unused.
        state.late = true;
        work.catch(() => undefined);
        this.health.stalled(this.timeoutMs);
        throw this.refusals.unanswered(operation, reasonOf(error), effect, state.sent, error);
      }
      if (isCancelled(error)) {
        // statement_timeout: PostgreSQL rolled the statement back.
        this.health.stalled(this.timeoutMs);
        throw this.refusals.unanswered(operation, reasonOf(error), effect, false, error);
      }
      if (!isConnectionError(error)) {
        throw new Error(POSTGRES_SSE_MESSAGES.refused(operation, reasonOf(error)), { cause: error });
      }
      this.health.failed(error);
      const refusal = state.sent
        ? this.refusals.unanswered(operation, reasonOf(error), effect, true, error)
        : this.refusals.unavailable(operation, reasonOf(error), effect, error);
      throw refusal;
    }
  }

  /** Ends the pool if it is the broker's own, within the command timeout. */
  async end(): Promise<void> {
    if (!this.ownsPool) return;
    await withTimeout(this.pool.end(), this.timeoutMs).catch(() => undefined);
  }

  private async query<R extends QueryResultRow>(
    statement: PostgresSseStatement,
    values: readonly unknown[],
    state: { sent: boolean; late: boolean },
  ): Promise<QueryResult<R>> {
    const client: PoolClient = await this.pool.connect();
    // pg-pool listens to a client's errors only while it is idle: one that fails while it is ours must not crash the app.
    let failed: Error | undefined;
    const onError = (error: Error) => void (failed ??= error);
    client.on('error', onError);
    const release = (error?: Error) => {
      client.off('error', onError);
      // A connection that failed is not given back to the pool.
      client.release(error ?? failed);
    };
    if (state.late) {
      release();
      throw timeoutError(this.timeoutMs);
    }
    state.sent = true;
    try {
      const result = await client.query<R>({ name: statement.name, text: statement.text, values: [...values] });
      release();
      return result;
    } catch (error) {
      release(isConnectionError(error) || isTimeout(error) ? (error as Error) : undefined);
      throw error;
    }
  }
}
