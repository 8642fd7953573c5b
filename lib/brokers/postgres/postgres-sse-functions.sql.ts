/** The NOTIFY payloads the functions send inline at most (PostgreSQL refuses 8000 bytes and more). */
export const NOTIFY_INLINE_MAX_BYTES = 7900;

/** How long a spilled payload is kept for the listeners to read it back (they do within milliseconds). */
export const SPILL_RETENTION_MS = 60_000;

/**
 * Sends `message` on the NOTIFY channel, or, when it does not fit, stores
 * `body` in `sse_spill` and sends `spilled` followed by its id (SQL
 * expressions; `v_spill` must be declared). Also deletes a few spilled rows
 * past their retention.
 */
function notifyOrSpill(s: string, message: string, body: string, spilled: string): string {
  return `  IF octet_length(${message}) <= ${NOTIFY_INLINE_MAX_BYTES} THEN
    PERFORM pg_notify(p_notify, ${message});
  ELSE
    INSERT INTO ${s}.sse_spill (namespace, body) VALUES (p_namespace, ${body}) RETURNING id INTO v_spill;
    PERFORM pg_notify(p_notify, ${spilled} || v_spill);
    DELETE FROM ${s}.sse_spill x WHERE x.id IN (
      SELECT o.id FROM ${s}.sse_spill o
      WHERE o.namespace = p_namespace AND o.at < clock_timestamp() - interval '${SPILL_RETENTION_MS} milliseconds'
      ORDER BY o.at LIMIT 16);
  END IF;`;
}

/**
 * `sse_publish_v1(...)`: one publish in one statement (one round trip). Takes
 * the namespace row's lock (held until the transaction ends: publishes of a
 * namespace commit in seq order), answers a known idempotency key with the
 * position it got, else takes the next seq, stores the event and trims the
 * history to its bounds (see `tablesSql()`), remembers the key, and NOTIFYs
 * `c\n<epoch>\n<seq>\n<channel>\n<except>\n<payload>` (or `C...` with a spill
 * id for the payload when that does not fit). Returns the position.
 */
function publishSql(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.sse_publish_v1(
  p_namespace text, p_channel text, p_payload text, p_except text, p_key text, p_epoch text, p_notify text,
  p_max_events integer, p_max_age_ms bigint, p_max_channels integer, p_max_channel_bytes bigint,
  p_max_bytes bigint, p_key_ttl_ms bigint, p_max_keys integer)
RETURNS TABLE (r_epoch text, r_seq bigint) LANGUAGE plpgsql AS $fn$
DECLARE
  ns ${s}.sse_namespaces%ROWTYPE;
  ch ${s}.sse_channels%ROWTYPE;
  v_now timestamptz := clock_timestamp();
  v_bytes integer := octet_length(p_payload);
  v_seq bigint;
  v_found bigint;
  v_inserted boolean;
  v_count integer;
  v_aged integer := 0;
  v_old record;
  v_spill bigint;
  v_head text;
BEGIN
  SELECT * INTO ns FROM ${s}.sse_namespaces n WHERE n.namespace = p_namespace FOR UPDATE;
  IF NOT FOUND THEN
    INSERT INTO ${s}.sse_namespaces (namespace, epoch) VALUES (p_namespace, p_epoch) ON CONFLICT DO NOTHING;
    SELECT * INTO ns FROM ${s}.sse_namespaces n WHERE n.namespace = p_namespace FOR UPDATE;
  END IF;
  IF p_key IS NOT NULL THEN
    DELETE FROM ${s}.sse_idempotency i WHERE (i.namespace, i.channel, i.key) IN (
      SELECT o.namespace, o.channel, o.key FROM ${s}.sse_idempotency o
      WHERE o.namespace = p_namespace AND o.expires_at <= v_now ORDER BY o.expires_at LIMIT 64);
    GET DIAGNOSTICS v_count = ROW_COUNT;
    ns.idempotency_keys := greatest(0, ns.idempotency_keys - v_count);
    SELECT i.seq INTO v_found FROM ${s}.sse_idempotency i
    WHERE i.namespace = p_namespace AND i.channel = p_channel AND i.key = p_key
      AND i.epoch = ns.epoch AND i.expires_at > v_now;
    IF FOUND THEN
      IF v_count > 0 THEN
        UPDATE ${s}.sse_namespaces n SET idempotency_keys = ns.idempotency_keys WHERE n.namespace = p_namespace;
      END IF;
      RETURN QUERY SELECT ns.epoch, v_found;
      RETURN;
    END IF;
  END IF;
  v_seq := ns.seq + 1;
  IF p_max_events > 0 THEN
    INSERT INTO ${s}.sse_events (namespace, channel, seq, at, bytes, payload)
    VALUES (p_namespace, p_channel, v_seq, v_now, v_bytes, p_payload);
    SELECT * INTO ch FROM ${s}.sse_channels c WHERE c.namespace = p_namespace AND c.channel = p_channel;
    IF NOT FOUND THEN
      -- A history made anew may follow one that was evicted: a resume from before what that held says expired.
      INSERT INTO ${s}.sse_channels (namespace, channel, last_seq, trimmed)
      VALUES (p_namespace, p_channel, v_seq, ns.evicted) RETURNING * INTO ch;
      ns.channels := ns.channels + 1;
    END IF;
    ch.events := ch.events + 1;
    ch.bytes := ch.bytes + v_bytes;
    ns.bytes := ns.bytes + v_bytes;
    -- Oldest first, never the newest: to maxEvents, to maxChannelBytes, and (64 a publish at most) to maxAgeMs.
    LOOP
      EXIT WHEN ch.events <= 1;
      SELECT e.seq, e.bytes, e.at INTO v_old FROM ${s}.sse_events e
      WHERE e.namespace = p_namespace AND e.channel = p_channel ORDER BY e.seq LIMIT 1;
      IF ch.events > p_max_events OR ch.bytes > p_max_channel_bytes THEN
        NULL;
      ELSIF p_max_age_ms > 0 AND v_aged < 64 AND v_old.at < v_now - p_max_age_ms * interval '1 millisecond' THEN
        v_aged := v_aged + 1;
      ELSE
        EXIT;
      END IF;
      DELETE FROM ${s}.sse_events e WHERE e.namespace = p_namespace AND e.channel = p_channel AND e.seq = v_old.seq;
      ch.events := ch.events - 1;
      ch.bytes := ch.bytes - v_old.bytes;
      ns.bytes := ns.bytes - v_old.bytes;
      ch.trimmed := greatest(ch.trimmed, v_old.seq);
    END LOOP;
    UPDATE ${s}.sse_channels c SET last_seq = v_seq, trimmed = ch.trimmed, events = ch.events, bytes = ch.bytes
    WHERE c.namespace = p_namespace AND c.channel = p_channel;
    -- Never the channel just published to (it has the highest last_seq: never the least recent of two or more).
    WHILE ns.channels > 1 AND (ns.channels > p_max_channels OR ns.bytes > p_max_bytes) LOOP
      DELETE FROM ${s}.sse_channels c WHERE (c.namespace, c.channel) IN (
        SELECT o.namespace, o.channel FROM ${s}.sse_channels o
        WHERE o.namespace = p_namespace AND o.channel <> p_channel ORDER BY o.last_seq LIMIT 1)
      RETURNING c.channel, c.last_seq, c.bytes INTO v_old;
      IF NOT FOUND THEN
        -- The counts drifted (rows deleted by hand): counted again, instead of looping on nothing.
        SELECT count(*)::integer, coalesce(sum(c.bytes), 0) INTO ns.channels, ns.bytes
        FROM ${s}.sse_channels c WHERE c.namespace = p_namespace;
        EXIT;
      END IF;
      DELETE FROM ${s}.sse_events e WHERE e.namespace = p_namespace AND e.channel = v_old.channel;
      ns.channels := ns.channels - 1;
      ns.bytes := ns.bytes - v_old.bytes;
      ns.evicted := greatest(ns.evicted, v_old.last_seq);
    END LOOP;
  END IF;
  IF p_key IS NOT NULL THEN
    INSERT INTO ${s}.sse_idempotency AS i (namespace, channel, key, epoch, seq, expires_at)
    VALUES (p_namespace, p_channel, p_key, ns.epoch, v_seq, v_now + p_key_ttl_ms * interval '1 millisecond')
    ON CONFLICT (namespace, channel, key) DO UPDATE
      SET epoch = EXCLUDED.epoch, seq = EXCLUDED.seq, expires_at = EXCLUDED.expires_at
    RETURNING (xmax = 0) INTO v_inserted;
    IF v_inserted THEN ns.idempotency_keys := ns.idempotency_keys + 1; END IF;
    IF ns.idempotency_keys > p_max_keys THEN
      DELETE FROM ${s}.sse_idempotency i WHERE (i.namespace, i.channel, i.key) IN (
        SELECT o.namespace, o.channel, o.key FROM ${s}.sse_idempotency o
        WHERE o.namespace = p_namespace ORDER BY o.expires_at LIMIT ns.idempotency_keys - p_max_keys);
      GET DIAGNOSTICS v_count = ROW_COUNT;
      ns.idempotency_keys := ns.idempotency_keys - v_count;
    END IF;
  END IF;
  UPDATE ${s}.sse_namespaces n
  SET seq = v_seq, evicted = ns.evicted, bytes = ns.bytes, channels = ns.channels,
      idempotency_keys = ns.idempotency_keys
  WHERE n.namespace = p_namespace;
  v_head := ns.epoch || E'\\n' || v_seq || E'\\n' || p_channel || E'\\n' || coalesce(p_except, '') || E'\\n';
${notifyOrSpill(s, `'c' || E'\\n' || v_head || p_payload`, 'p_payload', `'C' || E'\\n' || v_head`)}
  RETURN QUERY SELECT ns.epoch, v_seq;
END
$fn$;`;
}

/**
 * `sse_head_v1(namespace, candidate epoch, marker channel)`: the namespace's
 * position (its row made, with the candidate epoch, if it has none), and a
 * marker `k\n<epoch>\n<seq>` NOTIFYd to `marker` when given: once it arrives,
 * the listener has received every event up to that position.
 */
function headSql(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.sse_head_v1(p_namespace text, p_epoch text, p_marker text)
RETURNS TABLE (r_epoch text, r_seq bigint) LANGUAGE plpgsql AS $fn$
DECLARE
  v_epoch text;
  v_seq bigint;
BEGIN
  SELECT n.epoch, n.seq INTO v_epoch, v_seq FROM ${s}.sse_namespaces n WHERE n.namespace = p_namespace;
  IF NOT FOUND THEN
    INSERT INTO ${s}.sse_namespaces (namespace, epoch) VALUES (p_namespace, p_epoch) ON CONFLICT DO NOTHING;
    SELECT n.epoch, n.seq INTO v_epoch, v_seq FROM ${s}.sse_namespaces n WHERE n.namespace = p_namespace;
  END IF;
  IF p_marker IS NOT NULL THEN
    PERFORM pg_notify(p_marker, 'k' || E'\\n' || v_epoch || E'\\n' || v_seq);
  END IF;
  RETURN QUERY SELECT v_epoch, v_seq;
END
$fn$;`;
}

/** `sse_send_v1(namespace, notify channel, body)`: NOTIFYs `m\n<body>`, or `M\n<spill id>` when that does not fit. */
function sendSql(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.sse_send_v1(p_namespace text, p_notify text, p_body text)
RETURNS void LANGUAGE plpgsql AS $fn$
DECLARE
  v_spill bigint;
BEGIN
${notifyOrSpill(s, `'m' || E'\\n' || p_body`, 'p_body', `'M' || E'\\n'`)}
END
$fn$;`;
}

/**
 * `sse_claim_v1(namespace, name, owner, ttl ms)`: whether this call took the
 * claim `name`. Concurrent claims of one name are told apart by a
 * transaction-level advisory lock (the loser does not wait); a claim taken
 * is remembered in `sse_claims` until its ttl, so that a later claim within
 * it loses too. Forgets a few expired claims of the namespace. Commits
 * without waiting for the disk (`synchronous_commit` off for its
 * transaction): a claim is worth less than the millisecond of a flush.
 */
function claimSql(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.sse_claim_v1(p_namespace text, p_name text, p_owner text, p_ttl_ms bigint)
RETURNS boolean LANGUAGE plpgsql AS $fn$
DECLARE
  v_now timestamptz := clock_timestamp();
  v_taken text;
BEGIN
  IF NOT pg_try_advisory_xact_lock(hashtext(p_namespace), hashtext(p_name)) THEN
    RETURN false;
  END IF;
  -- A claim need not wait for its WAL to reach the disk: lost in a crash, it costs one tick run twice at most.
  PERFORM set_config('synchronous_commit', 'off', true);
  DELETE FROM ${s}.sse_claims c WHERE (c.namespace, c.name) IN (
    SELECT o.namespace, o.name FROM ${s}.sse_claims o
    WHERE o.namespace = p_namespace AND o.expires_at <= v_now AND o.name <> p_name
    ORDER BY o.expires_at LIMIT 16);
  INSERT INTO ${s}.sse_claims AS c (namespace, name, owner, expires_at)
  VALUES (p_namespace, p_name, p_owner, v_now + p_ttl_ms * interval '1 millisecond')
  ON CONFLICT (namespace, name) DO UPDATE SET owner = EXCLUDED.owner, expires_at = EXCLUDED.expires_at
  WHERE c.expires_at <= v_now
  RETURNING c.owner INTO v_taken;
  RETURN v_taken IS NOT NULL;
END
$fn$;`;
}

/**
 * The version of the schema this code creates: raised with every change of
 * a table or function, so that a database set up by an older version gets
 * it again (`CREATE OR REPLACE`, `IF NOT EXISTS`) when an instance of this
 * one connects, and never one set up by a newer version (in a rolling
 * deploy, the older instances leave the newer schema alone). 2: eviction
 * never takes the channel published to, and counts again if its counts drifted. A function whose arguments or results change gets a new
 * name (`_v2`), so that instances of both versions can run side by side.
 */
export const SCHEMA_VERSION = 2;

/** What `sse_schema_version()` is defined as: the broker reads the number, and creates the schema again if it is lower. */
export const SCHEMA_VERSION_SOURCE = `SELECT ${SCHEMA_VERSION}`;

/** The functions of the broker, replaced (`CREATE OR REPLACE`), the version last (it is created in the same transaction). */
export function functionsSql(schema: string): string {
  const s = `"${schema}"`;
  const version = `
CREATE OR REPLACE FUNCTION ${s}.sse_schema_version() RETURNS integer LANGUAGE sql IMMUTABLE AS $fn$${SCHEMA_VERSION_SOURCE}$fn$;`;
  return [publishSql(s), headSql(s), sendSql(s), claimSql(s), version].join('\n');
}
