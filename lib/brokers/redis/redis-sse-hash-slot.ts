/**
 * Redis Cluster's hash slots, as the servers compute them: which of the
 * 16384 slots a key (or a shard channel) lives on, and the hash tag that
 * keeps the keys of a namespace on one. Pure.
 */

import { REDIS_SSE_CLUSTER_MESSAGES } from './redis-sse-cluster.messages.js';

/** How many hash slots a Redis Cluster has. */
export const HASH_SLOTS = 16384;

/**
 * The hash tag of `key`: what is between its first `{` and the first `}`
 * after it, if that is not empty; `undefined` otherwise (then the whole key
 * is hashed).
 */
export function hashTagOf(key: string): string | undefined {
  const open = key.indexOf('{');
  if (open < 0) return undefined;
  const close = key.indexOf('}', open + 1);
  return close > open + 1 ? key.slice(open + 1, close) : undefined;
}

/**
 * The prefix a namespace uses on a cluster: `prefix` itself if it has a hash
 * tag (`app:{sse}:`), else `prefix` wrapped in one (`sse:` → `{sse:}`). Every
 * key and channel that starts with the result has its tag, so it hashes to
 * the same slot whatever follows (a channel name with braces included).
 * Throws a `TypeError` for a prefix that starts with `}` (and has no tag):
 * wrapped, its tag would be empty (`{}x}`), its keys on several slots.
 */
export function clusterKeyPrefix(prefix: string): string {
  if (hashTagOf(prefix) !== undefined) return prefix;
  const wrapped = `{${prefix}}`;
  if (hashTagOf(wrapped) === undefined) throw new TypeError(REDIS_SSE_CLUSTER_MESSAGES.noHashTag(prefix));
  return wrapped;
}

const CRC16_TABLE = (() => {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte++) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
})();

/** CRC16-CCITT (XModem) of `bytes`: the hash of Redis Cluster. */
function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc;
}

/** The hash slot of `key` (its hash tag's, if it has one), from 0 to 16383. */
export function hashSlotOf(key: string): number {
  return crc16(Buffer.from(hashTagOf(key) ?? key, 'utf8')) % HASH_SLOTS;
}
