import type { Redis, RedisOptions } from 'ioredis';
import { checkInteger } from '../../options/check-option.js';
import type { RedisSseBrokerOptions } from './redis-sse-broker-options.interface.js';
import { REDIS_SSE_MESSAGES } from './redis-sse.messages.js';

const KEY_PREFIX = /^[A-Za-z0-9\-_.:/@{}]{1,100}$/;
const DAY_MS = 86_400_000;

/** The options of a `RedisSseBroker`, checked, with every default filled in. */
export interface ResolvedRedisSseOptions {
  readonly url?: string;
  readonly client?: Redis;
  readonly redisOptions: RedisOptions;
  readonly keyPrefix: string;
  readonly maxEvents: number;
  readonly maxAgeMs: number;
  readonly idleTtlMs: number;
  /** How often the clock is sampled (what an expired history may have held is known to this precision). */
  readonly clockResolutionMs: number;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly statsIntervalMs: number;
  readonly maxHeldMessages: number;
}

/** Checks the options of `new RedisSseBroker()`, naming the bad one, and merges the defaults. Pure. */
export function resolveRedisSseOptions(options: RedisSseBrokerOptions): ResolvedRedisSseOptions {
  if (typeof options !== 'object' || options === null) {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption('options', options, 'an object'));
  }
  if (options.url !== undefined && options.client !== undefined) throw new Error(REDIS_SSE_MESSAGES.urlAndClient());
  if (options.url !== undefined && typeof options.url !== 'string') {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption('url', options.url, 'a redis:// or rediss:// URL'));
  }
  if (options.client !== undefined && typeof (options.client as Partial<Redis> | null)?.duplicate !== 'function') {
    throw new Error(REDIS_SSE_MESSAGES.invalidOption('client', options.client, 'an ioredis client (new Redis(...))'));
  }
  const keyPrefix = options.keyPrefix ?? 'sse:';
  if (typeof keyPrefix !== 'string' || !KEY_PREFIX.test(keyPrefix)) {
    throw new Error(
      REDIS_SSE_MESSAGES.invalidOption('keyPrefix', keyPrefix, '1 to 100 characters of [A-Za-z0-9-_.:/@{}]'),
    );
  }
  const history = options.history ?? {};
  const maxEvents = checkInteger('RedisSseBroker history.maxEvents', history.maxEvents, 0, 1000);
  const maxAgeMs = checkInteger('RedisSseBroker history.maxAgeMs', history.maxAgeMs, 0, 0);
  const idleTtlMs = checkInteger(
    'RedisSseBroker history.idleTtlMs',
    history.idleTtlMs,
    1,
    maxAgeMs > 0 ? maxAgeMs : DAY_MS,
  );
  return {
    url: options.url,
    client: options.client,
    redisOptions: options.redisOptions ?? {},
    keyPrefix,
    maxEvents,
    maxAgeMs,
    idleTtlMs,
    clockResolutionMs: Math.max(1, Math.floor(idleTtlMs / 64)),
    commandTimeoutMs: checkInteger('RedisSseBroker commandTimeoutMs', options.commandTimeoutMs, 1, 5000),
    connectTimeoutMs: checkInteger('RedisSseBroker connectTimeoutMs', options.connectTimeoutMs, 0, 10_000),
    statsIntervalMs: checkInteger('RedisSseBroker statsIntervalMs', options.statsIntervalMs, 0, 5000),
    maxHeldMessages: checkInteger('RedisSseBroker maxHeldMessages', options.maxHeldMessages, 1, 1000),
  };
}
