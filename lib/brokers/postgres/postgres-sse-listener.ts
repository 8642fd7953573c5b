import type { Logger } from '@nestjs/common';
import { BrokerBackoff } from '../shared/broker-backoff.js';
import type { Client, Notification, QueryResult, QueryResultRow } from 'pg';
import { newEpoch } from '../../protocol/event-id.js';
import { isConnectionError, isTimeout, reasonOf, withTimeout } from './postgres-sse-failure.js';
import type { PostgresSseInbound } from './postgres-sse-inbound.js';
import type { PostgresSseLinkHealth } from './postgres-sse-link-health.js';
import { POSTGRES_SSE_MESSAGES } from './postgres-sse.messages.js';
import { ensurePostgresSseSchema } from './postgres-sse.schema.js';
import type { PostgresSseStatement, PostgresSseStatements } from './postgres-sse.statements.js';

/** The longest delay between two attempts to listen again, whatever the first one. */
const MAX_RETRY_DELAY_MS = 30_000;

/** Creating the schema may wait for another instance doing it: at least this long. */
const SCHEMA_TIMEOUT_MS = 30_000;
/** How long a connection being let go of may take to say goodbye before its socket is destroyed. */
const END_TIMEOUT_MS = 1000;

/** Destroys the socket of `client` (pg has no public call for it: `end()` waits for the server's goodbye). */
function destroy(client: Client): void {
  (client as unknown as { connection?: { stream?: { destroy(): void } } }).connection?.stream?.destroy();
}

/** What the heartbeat runs on the LISTEN connection. */
const PING = { name: 'sse_ping', text: 'SELECT 1' };

/** What the listener needs to know. */
export interface PostgresSseListenerSettings {
  readonly schema: string;
  readonly namespace: string;
  readonly commandTimeoutMs: number;
  readonly reconnectDelayMs: number;
}

/**
 * The broker's own connection to PostgreSQL that LISTENs (a pooled one
 * cannot). On every (re)connection: creates the schema if it is missing,
 * LISTENs to the namespace's channel and this instance's, then reads the
 * namespace's head, which completes the sync the inbound holds what arrives
 * behind (and, on a reconnection, delivers the `gap` before it). When the
 * connection drops, or stops answering its heartbeat, the link is down
 * (logged once) and it connects again with backoff (`reconnectDelayMs`,
 * doubling).
 */
export class PostgresSseListener {
  private client: Client | undefined;
  /** The current connection listens and its sync was handed to the inbound. */
  private listening = false;
  private closed = false;
  private readonly retry: BrokerBackoff;
  private readonly upWaiters: (() => void)[] = [];
  /** A setup that PostgreSQL refused (not an outage) was logged: once until one succeeds. */
  private refusalLogged = false;
  /** The end of the last statement `query()` queued: the next one starts after it. */
  private serial: Promise<void> = Promise.resolve();
  /** Asks the connection for an answer now and then: one that died without a word (a NAT, a half-open socket) is made again. */
  private heartbeat: NodeJS.Timeout | undefined;
  /** Connections let go of that are still saying goodbye, and how to cut that short. */
  private readonly discarding = new Map<Client, Promise<void>>();

  constructor(
    private readonly newClient: () => Client,
    private readonly statements: PostgresSseStatements,
    private readonly inbound: PostgresSseInbound,
    private readonly health: PostgresSseLinkHealth,
    private readonly settings: PostgresSseListenerSettings,
    private readonly logger: Logger,
  ) {
    // reconnectDelayMs, doubling up to 16 times it (at most 30 s, unless reconnectDelayMs is longer).
    const firstMs = settings.reconnectDelayMs;
    this.retry = new BrokerBackoff({ firstMs, maxMs: Math.max(firstMs, MAX_RETRY_DELAY_MS), doublings: 4 });
  }

  /** Starts connecting. Resolves to whether the link is up within `timeoutMs` (it keeps trying after). */
  start(timeoutMs: number): Promise<boolean> {
    void this.attempt();
    return this.whenUp(timeoutMs);
  }

  /** Resolves to whether the link is up (its sync delivered) within `timeoutMs`: at once if it is. */
  whenUp(timeoutMs: number): Promise<boolean> {
    if (this.closed) return Promise.resolve(false);
    if (this.ready && this.health.status().state === 'up') return Promise.resolve(true);
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      this.upWaiters.push(() => {
        clearTimeout(timer);
        resolve(!this.closed);
      });
    });
  }

  /** Whether the connection listens (its sync done): `query()` can run on it. */
  get ready(): boolean {
    return this.listening && !this.closed && this.client !== undefined;
  }

  /**
   * Runs a short statement on the LISTEN connection (always open, the
   * broker's functions compiled on it): pipelined with those before it
   * where pg pipelines, after them otherwise. For the schedule lock's claims, which
   * must not wait for a pool connection to be made at the start of a tick.
   * Only while `ready`; a statement that holds the connection delays the
   * notifications behind it, so keep it short.
   */
  query<R extends QueryResultRow>(
    statement: PostgresSseStatement,
    values: readonly unknown[],
  ): Promise<QueryResult<R>> {
    const client = this.client;
    if (!this.ready || !client) return Promise.reject(new Error(POSTGRES_SSE_MESSAGES.connectionClosed()));
    const { name, text } = statement;
    const send = () => client.query<R>({ name, text, values: [...values] });
    // A pg that pipelines (8.21 and later) sends them back to back; an older one gets them one at a time.
    if (client.pipeline === true) return send();
    const run = this.serial.then(send);
    this.serial = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  /** PostgreSQL answered a command while this connection waits to be made again: tries now, not after the backoff. */
  reconnectNow(): void {
    if (this.closed || this.client) return;
    this.retry.cancel();
    void this.attempt();
  }

  /** The inbound delivered the sync (and its `gap`): the link is up, unless the connection dropped meanwhile. */
  synced(): void {
    if (!this.listening || this.closed) return;
    this.health.restored();
    this.upWaiters.splice(0).forEach((resolve) => resolve());
  }

  /** Ends the connection and the retries; resolves once the socket is gone. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.retry.cancel();
    this.stopHeartbeat();
    this.upWaiters.splice(0).forEach((resolve) => resolve());
    const client = this.client;
    this.client = undefined;
    this.listening = false;
    if (client) void this.discard(client);
    // Nothing of a connection outlives the broker: those still ending are cut now.
    for (const pending of this.discarding.keys()) destroy(pending);
    await Promise.all(this.discarding.values());
  }

  private async attempt(): Promise<void> {
    if (this.closed || this.client) return;
    const client = this.newClient();
    this.client = client;
    this.listening = false;
    client.on('error', (error: Error) => this.down(client, error));
    client.on('end', () => this.down(client, new Error(POSTGRES_SSE_MESSAGES.connectionClosed())));
    client.on('notification', (notification: Notification) => {
      if (this.client !== client) return;
      const { channel, payload } = notification;
      this.inbound.push(payload ?? '', channel === this.statements.markerChannel, channel);
    });
    const { commandTimeoutMs, schema, namespace } = this.settings;
    try {
      await withTimeout(client.connect(), commandTimeoutMs);
      if (this.client !== client) return;
      this.health.connected();
      // From here on, what arrives waits for the head (and, on a reconnection, the gap before it).
      this.inbound.beginSync();
      await withTimeout(ensurePostgresSseSchema(client, schema), Math.max(commandTimeoutMs, SCHEMA_TIMEOUT_MS));
      await withTimeout(client.query(this.statements.listen), commandTimeoutMs);
      const head = this.statements.head;
      const { rows } = await withTimeout(
        client.query<{ r_epoch: string; r_seq: string }>(head.text, [namespace, newEpoch(), null]),
        commandTimeoutMs,
      );
      if (this.client !== client) return;
      this.retry.succeeded();
      this.refusalLogged = false;
      this.listening = true;
      this.serial = Promise.resolve();
      this.startHeartbeat(client);
      this.inbound.completeSync({ epoch: rows[0].r_epoch, seq: Number(rows[0].r_seq) });
    } catch (error) {
      const delay = this.down(client, error);
      if (delay === undefined || isConnectionError(error) || isTimeout(error) || this.refusalLogged) return;
      // Not an outage: PostgreSQL refused the setup (permissions, an old server). Said once, retried with backoff.
      this.refusalLogged = true;
      this.logger.error(POSTGRES_SSE_MESSAGES.setupFailed(this.target(client), reasonOf(error), delay));
    }
  }

  /** The connection `client` failed or ended: the link is down until a new one is set up. Returns the delay of the retry. */
  private down(client: Client, error: unknown): number | undefined {
    if (this.client !== client) return undefined;
    this.client = undefined;
    this.listening = false;
    this.stopHeartbeat();
    this.health.failed(error);
    this.health.lost();
    void this.discard(client);
    return this.closed ? undefined : this.retry.schedule(() => void this.attempt());
  }

  /**
   * Pings `client` every `max(1 s, commandTimeoutMs)`: one that does not
   * answer within `commandTimeoutMs` is taken for lost (destroyed, made
   * again, and a `gap` delivered), as one that closed.
   */
  private startHeartbeat(client: Client): void {
    this.stopHeartbeat();
    const { commandTimeoutMs } = this.settings;
    let pinging = false;
    this.heartbeat = setInterval(
      () => {
        if (pinging || this.client !== client) return;
        pinging = true;
        withTimeout(this.query(PING, []), commandTimeoutMs)
          .catch((error: unknown) => {
            if (this.client !== client) return;
            destroy(client);
            this.down(client, error);
          })
          .finally(() => (pinging = false));
      },
      Math.max(1000, commandTimeoutMs),
    );
  }

  private stopHeartbeat(): void {
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  /** Lets go of a connection: its events are ignored from now on, and its socket is closed (destroyed if it hangs). */
  private discard(client: Client): Promise<void> {
    client.removeAllListeners('notification');
    client.removeAllListeners('end');
    client.removeAllListeners('error');
    client.on('error', () => undefined);
    const ended = withTimeout(client.end(), END_TIMEOUT_MS)
      .catch(() => destroy(client))
      .finally(() => this.discarding.delete(client));
    this.discarding.set(client, ended);
    return ended;
  }

  private target(client: Client): string {
    return `${client.host}:${client.port}/${client.database ?? ''}`;
  }
}
