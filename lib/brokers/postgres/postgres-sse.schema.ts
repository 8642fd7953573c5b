import { functionsSql, SCHEMA_VERSION } from './postgres-sse-functions.sql.js';
import { tablesSql } from './postgres-sse-tables.sql.js';

/** What runs SQL text: a `pg` client (the broker's own listening connection). */
interface SqlRunner {
  query(text: string, values?: unknown[]): Promise<{ rows: Record<string, unknown>[] }>;
}

/** Valid PostgreSQL schema names the broker takes: lower case, so that they need no quoting rules beyond `"..."`. */
export const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * The DDL of the PostgreSQL broker for `schema` (default `public`): its
 * schema (unless `public`), tables and functions, every statement
 * idempotent (`IF NOT EXISTS`, `CREATE OR REPLACE`). The broker runs it
 * itself when it connects; apply it yourself (e.g. in a migration) when the
 * app's database user may not create tables: the broker then only checks
 * that it is there.
 *
 * ```ts
 * import { postgresSseSchemaSql } from 'nestjs-event-stream/postgres';
 *
 * await pool.query(postgresSseSchemaSql('public'));
 * ```
 */
export function postgresSseSchemaSql(schema = 'public'): string {
  if (typeof schema !== 'string' || !SCHEMA_NAME.test(schema)) {
    throw new TypeError(`postgresSseSchemaSql(): the schema must match ${SCHEMA_NAME}, got ${JSON.stringify(schema)}.`);
  }
  const create = schema === 'public' ? '' : `CREATE SCHEMA IF NOT EXISTS "${schema}";\n`;
  return `${create}${tablesSql(schema)}${functionsSql(schema)}\n`;
}

/** The version of the schema in `schema` (what `sse_schema_version()` returns), 0 without one. */
async function installedVersion(client: SqlRunner, schema: string): Promise<number> {
  const found = await client.query(
    `SELECT p.prosrc FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
     WHERE n.nspname = $1 AND p.proname = 'sse_schema_version'`,
    [schema],
  );
  const versions = found.rows.map((row) => /^\s*SELECT\s+([0-9]{1,9})\s*$/i.exec(String(row.prosrc))?.[1]);
  return Math.max(0, ...versions.map((version) => Number(version ?? 0)));
}

/**
 * Creates the schema on `client` unless it is there already, of this
 * version or a newer one (`sse_schema_version()`): in one transaction, under
 * a transaction-level advisory lock, the version read again once it holds
 * it, so that instances connecting at once do not race on `CREATE TABLE`,
 * and an older one never replaces what a newer one created. Resolves to
 * whether it ran the DDL.
 */
export async function ensurePostgresSseSchema(client: SqlRunner, schema: string): Promise<boolean> {
  if ((await installedVersion(client, schema)) >= SCHEMA_VERSION) return false;
  await client.query('BEGIN');
  try {
    await client.query("SELECT pg_advisory_xact_lock(hashtext('nestjs-event-stream schema'), hashtext($1))", [schema]);
    const ddl = (await installedVersion(client, schema)) < SCHEMA_VERSION;
    if (ddl) await client.query(postgresSseSchemaSql(schema));
    await client.query('COMMIT');
    return ddl;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
