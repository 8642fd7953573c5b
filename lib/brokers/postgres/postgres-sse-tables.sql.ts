/**
 * The tables of the PostgreSQL broker, in one schema, shared by every
 * namespace (each row names its namespace). Created `IF NOT EXISTS`.
 *
 * - `sse_namespaces`: one row per namespace, the counter every publish
 *   increments under its row lock (so commit order is seq order), the epoch,
 *   and the bookkeeping of the history's budgets: bytes and channels kept,
 *   idempotency keys remembered, and `evicted`, the newest seq of a history
 *   deleted whole (channel cap, byte budget).
 * - `sse_channels`: one row per channel with a history: its last seq (the
 *   least recently published is evicted first), its size, and `trimmed`, the
 *   newest seq it let go of (a resume from before it says `expired`).
 * - `sse_events`: the history, one row per event.
 * - `sse_idempotency`: the idempotency keys of recent publishes.
 * - `sse_spill`: payloads too large for a NOTIFY, read back by the listeners
 *   right after it, deleted after a minute.
 * - `sse_claims`: the ticks schedule locks took, until their ttl.
 */
export function tablesSql(schema: string): string {
  const s = `"${schema}"`;
  return `
CREATE TABLE IF NOT EXISTS ${s}.sse_namespaces (
  namespace text PRIMARY KEY,
  epoch text NOT NULL,
  seq bigint NOT NULL DEFAULT 0,
  evicted bigint NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  channels integer NOT NULL DEFAULT 0,
  idempotency_keys integer NOT NULL DEFAULT 0,
  created_at timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE IF NOT EXISTS ${s}.sse_channels (
  namespace text NOT NULL,
  channel text NOT NULL,
  last_seq bigint NOT NULL,
  trimmed bigint NOT NULL DEFAULT 0,
  events integer NOT NULL DEFAULT 0,
  bytes bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (namespace, channel)
);
CREATE INDEX IF NOT EXISTS sse_channels_lru ON ${s}.sse_channels (namespace, last_seq);
CREATE TABLE IF NOT EXISTS ${s}.sse_events (
  namespace text NOT NULL,
  channel text NOT NULL,
  seq bigint NOT NULL,
  at timestamptz NOT NULL,
  bytes integer NOT NULL,
  payload text NOT NULL,
  PRIMARY KEY (namespace, channel, seq)
);
CREATE TABLE IF NOT EXISTS ${s}.sse_idempotency (
  namespace text NOT NULL,
  channel text NOT NULL,
  key text NOT NULL,
  epoch text NOT NULL,
  seq bigint NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (namespace, channel, key)
);
CREATE INDEX IF NOT EXISTS sse_idempotency_expiry ON ${s}.sse_idempotency (namespace, expires_at);
CREATE TABLE IF NOT EXISTS ${s}.sse_spill (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  namespace text NOT NULL,
  at timestamptz NOT NULL DEFAULT clock_timestamp(),
  body text NOT NULL
);
CREATE INDEX IF NOT EXISTS sse_spill_age ON ${s}.sse_spill (namespace, at);
CREATE TABLE IF NOT EXISTS ${s}.sse_claims (
  namespace text NOT NULL,
  name text NOT NULL,
  owner text NOT NULL,
  expires_at timestamptz NOT NULL,
  PRIMARY KEY (namespace, name)
);
CREATE INDEX IF NOT EXISTS sse_claims_expiry ON ${s}.sse_claims (namespace, expires_at);
`;
}
