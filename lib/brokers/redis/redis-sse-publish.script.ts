import type { SseBrokerPosition } from '../sse-broker.interface.js';
import { newEpoch } from '../../protocol/event-id.js';
import type { RedisSseKeys } from './redis-sse.keys.js';
import type { RedisSseClient, RedisSsePubSub } from './redis-sse-pubsub.js';
import { NOW, RedisSseScript, SEQ_OF } from './redis-sse.scripts.js';
import type { ResolvedRedisSseOptions } from './resolve-redis-sse-options.js';

/**
 * Publishes one event, atomically, in one round trip. Because Redis runs
 * scripts one at a time, PUBLISH order is seq order, and each subscriber
 * connection receives its messages in PUBLISH order.
 *
 * 1. Reads (or creates) the epoch. With an idempotency key seen within its
 *    window, returns the position that publish got, and does nothing else.
 * 2. Takes the next seq and appends the payload, as given, to the channel's
 *    history (entry `<seq>-0`, fields `p` payload and `t` time). A history
 *    made anew (first event, or after it expired or was deleted) remembers,
 *    as its trimmed seq, the newest seq it may have lost: the newest of a
 *    history the caps deleted, or any older than the idle TTL.
 * 3. Trims the history, oldest first, to `maxEvents`, to `maxChannelBytes`
 *    and (at most 64 entries per publish) to `maxAgeMs`, never its newest
 *    event, remembering the highest seq trimmed.
 * 4. Keeps the channels zset (by seq of their last event) and the byte
 *    counts: forgets channels whose history expired, then deletes the
 *    histories of the channels published to least recently while there are
 *    more than `maxChannels` or more than `maxBytes`, remembering the newest
 *    seq deleted so (`evicted`).
 * 5. Refreshes the idle TTLs, samples the clock, remembers the idempotency
 *    key (at most `maxIdempotencyKeys`), and PUBLISHes (or SPUBLISHes) the event.
 *
 * KEYS: seq, epoch, history, trimmed, clock, channels, channel bytes, history
 * bytes, evicted[, idempotency zset, idempotency hash].
 * ARGV: candidate epoch, payload, except ('' for none), Pub/Sub channel,
 * maxEvents, maxAgeMs, idle TTL ms, clock resolution ms, channel, prefix of
 * history keys, prefix of trimmed keys, maxChannels, maxChannelBytes,
 * maxBytes, the command to publish with (`PUBLISH` or `SPUBLISH`)[,
 * idempotency member, idempotency TTL ms, maxIdempotencyKeys].
 * Returns [epoch, seq].
 */
export const PUBLISH_SCRIPT = new RedisSseScript(`${NOW}
${SEQ_OF}
local function int(n) return string.format('%d', n) end
local epoch = redis.call('GET', KEYS[2])
if not epoch then
  epoch = ARGV[1]
  redis.call('SET', KEYS[2], epoch)
end
local idem = ARGV[16]
if idem then
  local expired = redis.call('ZRANGEBYSCORE', KEYS[10], '-inf', int(now), 'LIMIT', 0, 64)
  if #expired > 0 then
    redis.call('ZREM', KEYS[10], unpack(expired))
    redis.call('HDEL', KEYS[11], unpack(expired))
  end
  local first = redis.call('HGET', KEYS[11], idem)
  local expiresAt = tonumber(redis.call('ZSCORE', KEYS[10], idem) or '0')
  if first and expiresAt > now then return {epoch, first} end
end
local seq = redis.call('INCR', KEYS[1])
local s = int(seq)
local maxEvents = tonumber(ARGV[5])
local maxAge = tonumber(ARGV[6])
local ttl = tonumber(ARGV[7])
local channel = ARGV[9]
if maxEvents > 0 then
  local total = tonumber(redis.call('GET', KEYS[8]) or '0')
  local bytes = tonumber(redis.call('HGET', KEYS[7], channel) or '0')
  local evicted = nil
  local function evictedSeq()
    evicted = evicted or tonumber(redis.call('GET', KEYS[9]) or '0')
    return evicted
  end
  if redis.call('EXISTS', KEYS[3]) == 0 then
    -- Made anew: the bytes counted for a history that expired are gone with it.
    total = total - bytes
    bytes = 0
    local young = redis.call('ZRANGEBYSCORE', KEYS[5], '(' .. int(now - ttl), '+inf', 'LIMIT', 0, 1)[1]
    local lost = seq - 1
    if young then lost = tonumber(young) - 1 end
    if evictedSeq() > lost then lost = evicted end
    if lost > 0 then redis.call('SET', KEYS[4], int(lost), 'PX', ttl) else redis.call('DEL', KEYS[4]) end
  end
  redis.call('XADD', KEYS[3], s .. '-0', 'p', ARGV[2], 't', int(now))
  bytes = bytes + #ARGV[2]
  total = total + #ARGV[2]
  local maxChannelBytes = tonumber(ARGV[13])
  local count = redis.call('XLEN', KEYS[3])
  local dropped = 0
  local aged = 0
  local start = '-'
  -- Read as few entries as the bounds may need: the excess count, else one, doubling up to 64.
  local size = math.max(1, math.min(64, count - maxEvents))
  while count > 1 and (count > maxEvents or bytes > maxChannelBytes or (maxAge > 0 and aged < 64)) do
    local batch = redis.call('XRANGE', KEYS[3], start, '+', 'COUNT', size)
    local stop = false
    for _, entry in ipairs(batch) do
      local over = count > maxEvents or bytes > maxChannelBytes
      local old = maxAge > 0 and aged < 64 and now - tonumber(entry[2][4]) > maxAge
      if count <= 1 or not (over or old) then
        stop = true
        break
      end
      if not over then aged = aged + 1 end
      dropped = seqOf(entry[1])
      bytes = bytes - #entry[2][2]
      total = total - #entry[2][2]
      count = count - 1
    end
    if stop or #batch < size then break end
    start = '(' .. batch[#batch][1]
    size = math.min(64, size * 2)
  end
  if dropped > 0 then
    redis.call('XTRIM', KEYS[3], 'MINID', int(dropped + 1) .. '-0')
    redis.call('SET', KEYS[4], int(dropped), 'PX', ttl)
  else
    redis.call('PEXPIRE', KEYS[4], ttl)
  end
  redis.call('PEXPIRE', KEYS[3], ttl)
  redis.call('HSET', KEYS[7], channel, int(math.max(0, bytes)))
  redis.call('ZADD', KEYS[6], s, channel)
  -- Histories expire in the order of their last event: forget those gone, least recent first.
  for _ = 1, 16 do
    local oldest = redis.call('ZRANGE', KEYS[6], 0, 0)[1]
    if not oldest or oldest == channel or redis.call('EXISTS', ARGV[10] .. oldest) == 1 then break end
    total = total - tonumber(redis.call('HGET', KEYS[7], oldest) or '0')
    redis.call('ZREM', KEYS[6], oldest)
    redis.call('HDEL', KEYS[7], oldest)
  end
  local channels = redis.call('ZCARD', KEYS[6])
  local maxChannels = tonumber(ARGV[12])
  local maxBytes = tonumber(ARGV[14])
  -- The channel just published to has the highest score: it is never the least recent of two or more.
  while channels > 1 and (channels > maxChannels or total > maxBytes) do
    local victim = redis.call('ZRANGE', KEYS[6], 0, 0, 'WITHSCORES')
    total = total - tonumber(redis.call('HGET', KEYS[7], victim[1]) or '0')
    redis.call('ZREM', KEYS[6], victim[1])
    redis.call('HDEL', KEYS[7], victim[1])
    redis.call('DEL', ARGV[10] .. victim[1], ARGV[11] .. victim[1])
    if tonumber(victim[2]) > evictedSeq() then evicted = tonumber(victim[2]) end
    redis.call('SET', KEYS[9], int(evicted), 'PX', ttl)
    channels = channels - 1
  end
  -- Never below 0 (histories written before these counts existed were not counted).
  redis.call('SET', KEYS[8], int(math.max(0, total)), 'PX', ttl)
  redis.call('PEXPIRE', KEYS[6], ttl)
  redis.call('PEXPIRE', KEYS[7], ttl)
end
local last = redis.call('ZREVRANGE', KEYS[5], 0, 0, 'WITHSCORES')
if #last == 0 or now - tonumber(last[2]) >= tonumber(ARGV[8]) then
  redis.call('ZADD', KEYS[5], int(now), s)
  redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', int(now - ttl))
end
redis.call('PEXPIRE', KEYS[5], ttl)
if idem then
  local idemTtl = tonumber(ARGV[17])
  redis.call('ZADD', KEYS[10], int(now + idemTtl), idem)
  redis.call('HSET', KEYS[11], idem, s)
  local excess = redis.call('ZCARD', KEYS[10]) - tonumber(ARGV[18])
  if excess > 0 then
    local oldest = redis.call('ZRANGE', KEYS[10], 0, excess - 1)
    redis.call('ZREM', KEYS[10], unpack(oldest))
    redis.call('HDEL', KEYS[11], unpack(oldest))
  end
  redis.call('PEXPIRE', KEYS[10], idemTtl)
  redis.call('PEXPIRE', KEYS[11], idemTtl)
end
redis.call(ARGV[15], ARGV[4], s .. '\\n' .. epoch .. '\\n' .. ARGV[3] .. '\\n' .. ARGV[2])
return {epoch, s}
`);

/** One publish, as the broker checked it. */
export interface RedisSsePublish {
  readonly channel: string;
  readonly payload: string;
  readonly except?: string;
  readonly idempotencyKey?: string;
}

/** Runs the publish script on `client` for one event; resolves to its position (the first one's, for a known key). */
export async function runPublishScript(
  client: RedisSseClient,
  keys: RedisSseKeys,
  settings: ResolvedRedisSseOptions,
  pubsub: RedisSsePubSub,
  { channel, payload, except, idempotencyKey }: RedisSsePublish,
): Promise<SseBrokerPosition> {
  // The script names other channels' keys itself: with the client's own ioredis keyPrefix, as KEYS get it.
  const prefix = client.options.keyPrefix ?? '';
  const scriptKeys = [
    keys.seq,
    keys.epoch,
    keys.history(channel),
    keys.trimmed(channel),
    keys.clock,
    keys.channels,
    keys.channelBytes,
    keys.historyBytes,
    keys.evicted,
  ];
  const args: (string | number)[] = [
    newEpoch(),
    payload,
    except ?? '',
    keys.channel(channel),
    settings.maxEvents,
    settings.maxAgeMs,
    settings.idleTtlMs,
    settings.clockResolutionMs,
    channel,
    `${prefix}${keys.history('')}`,
    `${prefix}${keys.trimmed('')}`,
    settings.maxChannels,
    Math.min(settings.maxChannelBytes, settings.maxBytes),
    settings.maxBytes,
    pubsub.publishCommand,
  ];
  if (idempotencyKey !== undefined) {
    scriptKeys.push(keys.idempotency, keys.idempotencySeq);
    args.push(keys.idempotencyMember(channel, idempotencyKey), settings.idempotencyTtlMs, settings.maxIdempotencyKeys);
  }
  const [epoch, seq] = (await PUBLISH_SCRIPT.run(client, scriptKeys, args)) as [string, string | number];
  return { epoch: String(epoch), seq: Number(seq) };
}
