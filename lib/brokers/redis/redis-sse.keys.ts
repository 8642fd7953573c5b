/**
 * Where the broker keeps things in Redis. Every key and Pub/Sub channel
 * starts with the namespace prefix `<p>`, so several apps (or test runs) can
 * share one Redis without seeing each other. Channel names (already checked
 * with `checkChannelName`) only ever end a key or an exact Pub/Sub channel
 * name: they never become a pattern.
 *
 * On a cluster (`cluster: true`, or `'auto'` that found one), `<p>` carries a hash tag
 * (`{sse:}`, or the prefix's own: see `clusterKeyPrefix()`), so that every
 * key and shard channel below hashes to one slot: the scripts, which touch
 * several keys (and build some names themselves: `<p>history:<channel>` of
 * evicted channels, `<p>instance:<id>`), run on that slot's master, and
 * sharded Pub/Sub stays on its shard. A namespace so lives on one master.
 * On a single server (`cluster: false`, or `'auto'` that found one), `<p>` is
 * the prefix as given: the layout is the one of earlier versions.
 *
 * | key                      | type   | what                                                        |
 * | ------------------------ | ------ | ----------------------------------------------------------- |
 * | `<p>epoch`               | string | the namespace's epoch, set once (`SET NX`), never expires    |
 * | `<p>seq`                 | string | the namespace's sequence (`INCR`), never expires             |
 * | `<p>history:<channel>`   | stream | the channel's last payloads, entry `<seq>-0` {p, t}, idle TTL |
 * | `<p>trimmed:<channel>`   | string | the newest seq that history lost (trimmed, or before it was made), idle TTL |
 * | `<p>clock`               | zset   | (time → seq) samples: what an expired history may have held  |
 * | `<p>channels`            | zset   | channels with a history, scored by the seq of their last event, idle TTL |
 * | `<p>channel-bytes`       | hash   | payload bytes of each of those histories, idle TTL           |
 * | `<p>history-bytes`       | string | payload bytes of all of them, idle TTL                       |
 * | `<p>evicted`             | string | the newest seq of a history deleted by the caps, idle TTL    |
 * | `<p>idempotency`         | zset   | `<channel>#<key>` of recent publishes, scored by expiry time |
 * | `<p>idempotency-seq`     | hash   | `<channel>#<key>` → the seq that publish got                 |
 * | `<p>lock:<name>`         | string | schedule locks (`SET NX PX`)                                 |
 * | `<p>instances`           | zset   | live instances, scored by when their heartbeat expires      |
 * | `<p>instance:<id>`       | hash   | one instance's open streams per channel (`*`: all), TTL     |
 * | `<p>ticket:<digest>`     | string | a stream ticket (`RedisSseTicketStore`, prefix the broker's by default), PX |
 *
 * Pub/Sub (not scoped to a database number: the prefix must be unique per server;
 * classic `PUBLISH`/`SUBSCRIBE`, or sharded `SPUBLISH`/`SSUBSCRIBE` on a cluster
 * of Redis 7.0+):
 * `<p>channel:<channel>` carries the events of one channel, `<p>control` the
 * messages to every instance (broadcasts, targeted sends, disconnects),
 * `<p>instance:<id>` the sync markers of one instance
 * (see `redis-sse.codec.ts` for what each carries).
 */
export class RedisSseKeys {
  readonly epoch: string;
  readonly seq: string;
  readonly clock: string;
  readonly channels: string;
  readonly channelBytes: string;
  readonly historyBytes: string;
  readonly evicted: string;
  readonly idempotency: string;
  readonly idempotencySeq: string;
  readonly instances: string;
  /** Prefix of the per-instance statistics hashes (the instance id follows). */
  readonly instancePrefix: string;
  readonly control: string;
  readonly channelPrefix: string;

  constructor(readonly prefix: string) {
    this.epoch = `${prefix}epoch`;
    this.seq = `${prefix}seq`;
    this.clock = `${prefix}clock`;
    this.channels = `${prefix}channels`;
    this.channelBytes = `${prefix}channel-bytes`;
    this.historyBytes = `${prefix}history-bytes`;
    this.evicted = `${prefix}evicted`;
    this.idempotency = `${prefix}idempotency`;
    this.idempotencySeq = `${prefix}idempotency-seq`;
    this.instances = `${prefix}instances`;
    this.instancePrefix = `${prefix}instance:`;
    this.control = `${prefix}control`;
    this.channelPrefix = `${prefix}channel:`;
  }

  history(channel: string): string {
    return `${this.prefix}history:${channel}`;
  }

  trimmed(channel: string): string {
    return `${this.prefix}trimmed:${channel}`;
  }

  /** The member of a publish's idempotency key in the idempotency zset and hash (`#` never occurs in channel names). */
  idempotencyMember(channel: string, key: string): string {
    return `${channel}#${key}`;
  }

  lock(name: string): string {
    return `${this.prefix}lock:${name}`;
  }

  instance(id: string): string {
    return `${this.instancePrefix}${id}`;
  }

  /** The Pub/Sub channel of a hub channel. */
  channel(channel: string): string {
    return `${this.channelPrefix}${channel}`;
  }

  /** The hub channel of a Pub/Sub channel, or `undefined` if it is not one. */
  channelOf(pubsubChannel: string): string | undefined {
    return pubsubChannel.startsWith(this.channelPrefix) ? pubsubChannel.slice(this.channelPrefix.length) : undefined;
  }
}
