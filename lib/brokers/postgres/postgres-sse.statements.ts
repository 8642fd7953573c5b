import { createHash } from 'node:crypto';

/** A parameterised statement, named so that each connection prepares it once. */
export interface PostgresSseStatement {
  readonly name: string;
  readonly text: string;
}

/**
 * The names and statements of one namespace of one schema, for one
 * instance: the NOTIFY channels (the namespace's, and this instance's for
 * markers: `sse_<hash of schema and namespace>[_<instance>]`, within
 * PostgreSQL's 63 bytes whatever their lengths) and every statement the
 * broker runs, parameterised (values are never spliced into SQL; the schema
 * is a checked identifier).
 */
export class PostgresSseStatements {
  /** The channel every event and message of the namespace is NOTIFYd on. */
  readonly notifyChannel: string;
  /** This instance's channel, for the markers of `head()`. */
  readonly markerChannel: string;
  readonly publish: PostgresSseStatement;
  readonly head: PostgresSseStatement;
  readonly send: PostgresSseStatement;
  readonly claim: PostgresSseStatement;
  readonly spill: PostgresSseStatement;
  readonly read: PostgresSseStatement;
  /** LISTENs to both channels (a simple query: no parameters). */
  readonly listen: string;

  constructor(
    readonly schema: string,
    readonly namespace: string,
    instanceId: string,
  ) {
    const hash = createHash('sha256').update(`${schema}.${namespace}`).digest('hex').slice(0, 16);
    this.notifyChannel = `sse_${hash}`;
    this.markerChannel = `sse_${hash}_${instanceId}`;
    this.listen = `LISTEN "${this.notifyChannel}"; LISTEN "${this.markerChannel}"`;
    const s = `"${schema}"`;
    // Statement names are per connection: one per schema, so that brokers of two schemas can share a pool.
    const named = (what: string, text: string) => ({ name: `sse_${what}_${schema}`, text });
    this.publish = named(
      'publish_v1',
      `SELECT r_epoch, r_seq FROM ${s}.sse_publish_v1($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
    );
    this.head = named('head_v1', `SELECT r_epoch, r_seq FROM ${s}.sse_head_v1($1, $2, $3)`);
    this.send = named('send_v1', `SELECT ${s}.sse_send_v1($1, $2, $3)`);
    this.claim = named('claim_v1', `SELECT ${s}.sse_claim_v1($1, $2, $3, $4) AS taken`);
    this.spill = named(
      'spill_v1',
      `SELECT id::text AS id, body FROM ${s}.sse_spill WHERE namespace = $1 AND id = ANY($2::bigint[])`,
    );
    this.read = named('read_v1', readSql(s));
  }
}

/**
 * One page of history as one snapshot (one statement): a header row `h`
 * (head seq, evicted, epoch), a row `c` per channel with a history (trimmed,
 * and 1 when its first event after the position is older than `maxAgeMs`),
 * and at most `count` rows `e` (events after the position, the lowest seqs
 * of all the channels, each channel read through its primary key at most
 * `count` rows deep). Rows `c` and `e` only when the position is of the
 * namespace's epoch and not ahead of its head.
 *
 * $1 namespace, $2 channels, $3 epoch, $4 after seq, $5 maxAgeMs (0: none), $6 count.
 */
function readSql(s: string): string {
  return `WITH ns AS (
  SELECT n.epoch, n.seq, n.evicted FROM ${s}.sse_namespaces n WHERE n.namespace = $1
), ok AS (
  SELECT 1 FROM ns WHERE ns.epoch = $3 AND ns.seq >= $4::bigint
), names AS (
  SELECT DISTINCT u.name FROM unnest($2::text[]) AS u(name)
), cutoff AS (
  SELECT CASE WHEN $5::bigint > 0 THEN now() - $5::bigint * interval '1 millisecond' END AS at
)
SELECT 'h' AS kind, NULL::text AS channel, ns.seq, ns.evicted AS extra, ns.epoch AS payload FROM ns
UNION ALL
SELECT 'c', c.channel, c.trimmed,
  (SELECT CASE WHEN e.at <= cutoff.at THEN 1 ELSE 0 END FROM ${s}.sse_events e
    WHERE e.namespace = $1 AND e.channel = c.channel AND e.seq > $4::bigint ORDER BY e.seq LIMIT 1),
  NULL
FROM names JOIN ${s}.sse_channels c ON c.namespace = $1 AND c.channel = names.name CROSS JOIN cutoff
WHERE EXISTS (SELECT 1 FROM ok)
UNION ALL
(SELECT 'e', e.channel, e.seq, NULL, e.payload
FROM names CROSS JOIN cutoff CROSS JOIN LATERAL (
  SELECT x.channel, x.seq, x.payload FROM ${s}.sse_events x
  WHERE x.namespace = $1 AND x.channel = names.name AND x.seq > $4::bigint
    AND (cutoff.at IS NULL OR x.at > cutoff.at)
  ORDER BY x.seq LIMIT $6::integer) e
WHERE EXISTS (SELECT 1 FROM ok)
ORDER BY e.seq LIMIT $6::integer)`;
}
