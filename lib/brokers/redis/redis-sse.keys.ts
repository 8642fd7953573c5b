/**
 * Where the broker keeps things in Redis. Every key and Pub/Sub channel
 * starts with the namespace prefix, so several apps (or test runs) can share
 * one Redis without seeing each other. Channel names (already checked with
 * `checkChannelName`) only ever end a key or an exact Pub/Sub channel name:
 * they never become a pattern.
 *
 * | key                      | type   | what                                                        |
 * | ------------------------ | ------ | ----------------------------------------------------------- |
 * | `<p>epoch`               | string | the namespace's epoch, set once (`SET NX`), never expires    |
 * | `<p>seq`                 | string | the namespace's sequence (`INCR`), never expires             |
 * | `<p>history:<channel>`   | stream | the channel's last payloads, entry `<seq>-0` {p, t}, idle TTL |
 * | `<p>trimmed:<channel>`   | string | the highest seq trimmed from that history, idle TTL          |
 * | `<p>clock`               | zset   | (time → seq) samples: what an expired history may have held  |
 * | `<p>lock:<name>`         | string | schedule locks (`SET NX PX`)                                 |
 * | `<p>instances`           | zset   | live instances, scored by when their heartbeat expires      |
 * | `<p>instance:<id>`       | hash   | one instance's open streams per channel (`*`: all), TTL     |
 *
 * Pub/Sub (not scoped to a database number: the prefix must be unique per server):
 * `<p>channel:<channel>` carries the events of one channel, `<p>control` the
 * messages to every instance (broadcasts, targeted sends, disconnects),
 * `<p>instance:<id>` the sync markers of one instance
 * (see `redis-sse.codec.ts` for what each carries).
 */
export class RedisSseKeys {
  readonly epoch: string;
  readonly seq: string;
  readonly clock: string;
  readonly instances: string;
  /** Prefix of the per-instance statistics hashes (the instance id follows). */
  readonly instancePrefix: string;
  readonly control: string;
  readonly channelPrefix: string;

  constructor(readonly prefix: string) {
    this.epoch = `${prefix}epoch`;
    this.seq = `${prefix}seq`;
    this.clock = `${prefix}clock`;
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
