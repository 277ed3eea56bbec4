import type { Redis } from 'ioredis';
import type { Attempt, AttemptCounters } from '../../core/attempt-counters.js';
import { runCommand } from './redis-connection.js';

// One record per key: a hash of count (c), last attempt (l) and end (e), in epoch ms of the
// caller's clock, so that every instance and the in-process counters judge alike. Redis's own
// expiry only removes the record some time after it has ended.
//
// TAKE: KEYS are the attempts' keys; ARGV[1] is now, then six values per key: limit, free
// attempts, base delay, max delay, ttl, sliding (1/0). Returns {} when counted, else each
// key's refusal in ms. It mirrors `refusalMs` and `LocalAttemptCounters.take`.
const TAKE = `local now = tonumber(ARGV[1])
local waits, refused = {}, false
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 6
  local limit, free = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2])
  local base, maxDelay = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local r = redis.call('HMGET', key, 'c', 'l', 'e')
  local count, last, ends = tonumber(r[1]) or 0, tonumber(r[2]) or 0, tonumber(r[3]) or 0
  local wait = 0
  if count > 0 and ends > now then
    if count >= limit then
      wait = ends - now
    elseif count >= free then
      wait = math.max(0, last + math.min(base * 2 ^ (count - free), maxDelay) - now)
    end
  end
  waits[i] = wait
  if wait > 0 then refused = true end
end
if refused then return waits end
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 6
  local ttl, sliding = tonumber(ARGV[o + 5]), ARGV[o + 6] == '1'
  local r = redis.call('HMGET', key, 'c', 'e')
  local count, ends = tonumber(r[1]) or 0, tonumber(r[2]) or 0
  local live = count > 0 and ends > now
  if live and not sliding then
    redis.call('HSET', key, 'c', count + 1, 'l', now)
  else
    ends = now + ttl
    redis.call('HSET', key, 'c', live and count + 1 or 1, 'l', now, 'e', ends)
    redis.call('PEXPIRE', key, ttl)
  end
end
return {}`;

const GIVE_BACK = `for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('HINCRBY', key, 'c', -1) <= 0 then redis.call('DEL', key) end
end
return 0`;

/** Attempt counters on Redis, shared by every instance; each call is one atomic script. */
export class RedisCounters implements AttemptCounters {
  readonly #redis: Redis;

  constructor(redis: Redis) {
    this.#redis = redis;
  }

  async take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null> {
    const args = attempts.flatMap(({ rule }) => [
      rule.limit,
      rule.freeAttempts,
      rule.baseDelayMs,
      rule.maxDelayMs,
      rule.ttlMs,
      rule.isSliding ? 1 : 0,
    ]);
    const keys = attempts.map(({ key }) => key);
    const waits = (await runCommand(() => this.#redis.eval(TAKE, keys.length, ...keys, nowMs, ...args))) as number[];
    return waits.length === 0 ? null : waits;
  }

  async giveBack(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await runCommand(() => this.#redis.eval(GIVE_BACK, keys.length, ...keys));
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await runCommand(() => this.#redis.del(...keys));
  }
}
