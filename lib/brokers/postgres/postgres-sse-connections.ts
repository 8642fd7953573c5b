import type { Client, ClientConfig, Pool } from 'pg';
import { loadOptionalPackage } from '../../utils/load-optional-package.js';
import type { ResolvedPostgresSseOptions } from './resolve-postgres-sse-options.js';

/** The `application_name` of the broker's connections, as `pg_stat_activity` shows them (with the instance's id). */
const APPLICATION_NAME = 'nestjs-event-stream';

/**
 * What the broker connects with: `pg` (loaded from this entry point only,
 * when the broker connects), the pool its commands run on (its own, from
 * `url`, with `statement_timeout` and a connection timeout of
 * `commandTimeoutMs`; or the app's), how to make its LISTEN connection, and
 * the server's address for messages (never the password). Its connections
 * are named `nestjs-event-stream [listener] <instance id>` in `pg_stat_activity`.
 */
export class PostgresSseConnections {
  private constructor(
    readonly pool: Pool,
    /** Whether the pool is the broker's own, to end on close (never the app's). */
    readonly ownsPool: boolean,
    private readonly listenConfig: ClientConfig,
    private readonly Client: new (config: ClientConfig) => Client,
    /** host:port/database of the server. */
    readonly target: string,
  ) {}

  static async open(settings: ResolvedPostgresSseOptions, instanceId: string): Promise<PostgresSseConnections> {
    const pg = await loadOptionalPackage('pg', 'PostgresSseBroker', async () => (await import('pg')).default);
    const { url, commandTimeoutMs } = settings;
    const base: ClientConfig = settings.pool ? { ...settings.pool.options } : url ? { connectionString: url } : {};
    const listenConfig: ClientConfig = {
      ...base,
      keepAlive: true,
      // Claims of the schedule lock run on it, several at a tick: sent back to back (pg 8.21+; ignored before).
      pipeline: true,
      connectionTimeoutMillis: commandTimeoutMs,
      application_name: `${APPLICATION_NAME} listener ${instanceId}`,
    };
    const pool =
      settings.pool ??
      new pg.Pool({
        ...base,
        keepAlive: true,
        connectionTimeoutMillis: commandTimeoutMs,
        statement_timeout: commandTimeoutMs,
        application_name: `${APPLICATION_NAME} ${instanceId}`,
      });
    // Not connected: only to read the host, port and database pg resolved (from the URL, the PG* variables, defaults).
    const probe = new pg.Client(listenConfig);
    const target = `${probe.host}:${probe.port}/${probe.database ?? ''}`;
    return new PostgresSseConnections(pool, !settings.pool, listenConfig, pg.Client, target);
  }

  /** A new LISTEN connection (not connected yet). */
  listenClient(): Client {
    return new this.Client(this.listenConfig);
  }
}
