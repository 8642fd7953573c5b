import type { RedisSseBroker } from 'nestjs-event-stream/redis';
import type { SignedOutUsers } from './signed-out-users.interface.js';

/**
 * Signed-out users on Redis, for several instances: one key per user,
 * `<prefix>sample:signed-out:<user id>`, set with `SET ... PX <ttl>` so that
 * Redis forgets it by itself. Every instance on the same prefix reads the
 * same keys, so a sign-out on one is refused by all. It runs on the broker's
 * command connection (no connection of its own): while Redis is unreachable
 * a check rejects with the broker's 503, and the request is refused with it.
 *
 * Only a type is imported from `nestjs-event-stream/redis`: this file never
 * loads `ioredis` itself.
 */
export class RedisSignedOutUsers implements SignedOutUsers {
  constructor(private readonly broker: RedisSseBroker) {}

  /**
   * The key of `userId`, from the broker's prefix now: with `cluster: 'auto'`
   * it gets its hash tag only once `connect()` found a cluster, after this
   * object was made.
   */
  private key(userId: string): string {
    return `${this.broker.keyPrefix}sample:signed-out:${userId}`;
  }

  async add(userId: string, ttlMs: number): Promise<void> {
    await this.broker.withCommandClient('record a sign-out', (redis) => redis.set(this.key(userId), '1', 'PX', ttlMs));
  }

  async has(userId: string): Promise<boolean> {
    const found = await this.broker.withCommandClient('check for a sign-out', (redis) =>
      redis.exists(this.key(userId)),
    );
    return found === 1;
  }
}
