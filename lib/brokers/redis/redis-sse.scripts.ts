import { createHash } from 'node:crypto';
import type { RedisSseClient } from './redis-sse-pubsub.js';

/** A Lua script run with EVALSHA, falling back to EVAL when Redis does not have it cached (after a restart). */
export class RedisSseScript {
  readonly sha: string;

  constructor(readonly lua: string) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(client: RedisSseClient, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await client.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!String((error as Error)?.message).startsWith('NOSCRIPT')) throw error;
      return client.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
}

/** `now` in ms from the Redis clock: every instance agrees on it, whatever their own clocks say. */
export const NOW = `local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)`;

/** The seq of a stream entry id `<seq>-0`. */
export const SEQ_OF = `local function seqOf(id) return tonumber(string.match(id, '^(%d+)')) end`;

/**
 * Reads one page of history as one consistent snapshot: the epoch, the
 * newest seq, Redis's clock, the oldest clock sample younger than the idle
 * TTL (the watermark: an expired history held only smaller seqs), the newest
 * seq of a history the caps deleted (`evicted`), and per
 * channel whether its history exists, the highest seq trimmed from it,
 * whether entries older than `maxAgeMs` (not trimmed yet) were skipped, and
 * at most `count` entries after the position. Every XRANGE has a COUNT: a
 * read costs the same whatever the history holds. Entries older than
 * `maxAgeMs` are a prefix of a history (they are in time order), so when the
 * first entry after the position is one, the first young entry is found by a
 * binary search over seqs (a few XRANGE ... COUNT 1) and the page read from it.
 *
 * KEYS: epoch, seq, clock, evicted, then history and trimmed of each channel.
 * ARGV: after seq, idle TTL ms, the position's epoch, count (limit + 1), maxAgeMs.
 * Returns [epoch or '', head, now, watermark or '', evicted, then per channel: exists, trimmed, aged, entries].
 * Stops after the header when the position is of another epoch or ahead of the head.
 */
export const READ_SCRIPT = new RedisSseScript(`${NOW}
${SEQ_OF}
local epoch = redis.call('GET', KEYS[1]) or ''
local head = redis.call('GET', KEYS[2]) or '0'
local result = {epoch, head, string.format('%d', now), '', redis.call('GET', KEYS[4]) or '0'}
local sample = redis.call('ZRANGEBYSCORE', KEYS[3], '(' .. string.format('%d', now - tonumber(ARGV[2])), '+inf', 'LIMIT', 0, 1)
if sample[1] then result[4] = sample[1] end
local after = tonumber(ARGV[1])
if epoch ~= ARGV[3] or after > tonumber(head) then return result end
local count = tonumber(ARGV[4])
local maxAge = tonumber(ARGV[5])
local function old(entry) return maxAge > 0 and now - tonumber(entry[2][4]) > maxAge end
local function firstAfter(key, seq) return redis.call('XRANGE', key, string.format('(%d-0', seq), '+', 'COUNT', 1)[1] end
-- The first entry of a history younger than maxAge, knowing that the one at seq 'low' is older.
local function firstYoung(key, low)
  local last = redis.call('XREVRANGE', key, '+', '-', 'COUNT', 1)[1]
  if old(last) then return nil end
  local high = seqOf(last[1]) - 1
  while low < high do
    local mid = math.floor((low + high) / 2)
    if old(firstAfter(key, mid)) then low = mid + 1 else high = mid end
  end
  return firstAfter(key, low)
end
local start = string.format('(%d-0', after)
for i = 5, #KEYS, 2 do
  local exists = redis.call('EXISTS', KEYS[i])
  local aged = 0
  local entries = {}
  if exists == 1 then
    entries = redis.call('XRANGE', KEYS[i], start, '+', 'COUNT', count)
    if entries[1] and old(entries[1]) then
      aged = 1
      local young = firstYoung(KEYS[i], seqOf(entries[1][1]))
      if young then entries = redis.call('XRANGE', KEYS[i], young[1], '+', 'COUNT', count) else entries = {} end
    end
  end
  table.insert(result, exists)
  table.insert(result, redis.call('GET', KEYS[i + 1]) or '0')
  table.insert(result, aged)
  table.insert(result, entries)
end
return result
`);

/**
 * Reads the epoch, creating it if the namespace has none yet (first start, or
 * Redis lost its data), and the newest seq.
 *
 * KEYS: epoch, seq. ARGV: candidate epoch. Returns [epoch, head].
 */
export const ENSURE_EPOCH_SCRIPT = new RedisSseScript(`local epoch = redis.call('GET', KEYS[1])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[1], epoch)
end
return {epoch, redis.call('GET', KEYS[2]) or '0'}
`);

/**
 * Publishes the namespace's current position `<epoch>.<seq>` to one
 * instance's Pub/Sub channel, and returns it, creating the epoch if the
 * namespace has none yet (`SET NX`: the one its first publish then gets).
 * When the marker arrives, the instance has received every event up to it of
 * the channels it had subscribed to (same connection, PUBLISH order).
 *
 * KEYS: epoch, seq. ARGV: candidate epoch, the instance's Pub/Sub channel,
 * the command to publish with (`PUBLISH` or `SPUBLISH`). Returns [epoch, head].
 */
export const MARKER_SCRIPT = new RedisSseScript(`redis.call('SET', KEYS[1], ARGV[1], 'NX')
local epoch = redis.call('GET', KEYS[1])
local head = redis.call('GET', KEYS[2]) or '0'
redis.call(ARGV[3], ARGV[2], epoch .. '.' .. head)
return {epoch, head}
`);

/**
 * Replaces one instance's statistics and extends its heartbeat.
 *
 * KEYS: the instance's hash, the instances zset. ARGV: instance id, TTL ms, then field/value pairs.
 */
export const HEARTBEAT_SCRIPT = new RedisSseScript(`${NOW}
local ttl = tonumber(ARGV[2])
redis.call('DEL', KEYS[1])
for i = 3, #ARGV, 1000 do
  redis.call('HSET', KEYS[1], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('PEXPIRE', KEYS[1], ttl)
redis.call('ZADD', KEYS[2], string.format('%d', now + ttl), ARGV[1])
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', string.format('%d', now))
redis.call('PEXPIRE', KEYS[2], ttl)
return 1
`);

/**
 * Sums one field of the statistics of every live instance.
 *
 * KEYS: the instances zset. ARGV: the key prefix of instance hashes, the field.
 * Returns [sum, live instances].
 */
export const CLUSTER_COUNT_SCRIPT = new RedisSseScript(`${NOW}
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. string.format('%d', now), '+inf')
local sum = 0
for _, id in ipairs(ids) do
  sum = sum + (tonumber(redis.call('HGET', ARGV[1] .. id, ARGV[2])) or 0)
end
return {sum, #ids}
`);
