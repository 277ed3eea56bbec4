import type { Attempt, AttemptCounters, AttemptRecord } from '../../core/attempt-counters.js';
import type { RedisLink } from './redis-connection.js';

// One record per key: a hash of count (c), first attempt (s), last attempt (l) and end (e), in
// epoch ms of the caller's clock, so that every instance and the in-process counters judge
// alike. Redis's own expiry only removes a record some time after it has ended.
//
// TAKE: KEYS are the attempts' keys; ARGV[1] is now, then seven values per key: limit, free
// attempts, base delay, max delay, ttl, sliding (1/0), void-before. Returns {} when counted,
// else each key's refusal in ms. It mirrors `refusalMs` and `counted` of LocalAttemptCounters.
const TAKE = `local now = tonumber(ARGV[1])
local function live(i, key)
  local o = 1 + (i - 1) * 7
  local r = redis.call('HMGET', key, 'c', 's', 'l', 'e')
  local count, start, last, ends = tonumber(r[1]) or 0, tonumber(r[2]) or 0, tonumber(r[3]) or 0, tonumber(r[4]) or 0
  if count <= 0 or ends <= now or start <= tonumber(ARGV[o + 7]) then return nil end
  return { count = count, start = start, last = last, ends = ends }
end
local waits, refused = {}, false
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 7
  local limit, free = tonumber(ARGV[o + 1]), tonumber(ARGV[o + 2])
  local base, maxDelay = tonumber(ARGV[o + 3]), tonumber(ARGV[o + 4])
  local r = live(i, key)
  local wait = 0
  if r then
    if r.count >= limit then
      wait = r.ends - now
    elseif r.count >= free then
      wait = math.max(0, r.last + math.min(base * 2 ^ (r.count - free), maxDelay) - now)
    end
  end
  waits[i] = wait
  if wait > 0 then refused = true end
end
if refused then return waits end
for i, key in ipairs(KEYS) do
  local o = 1 + (i - 1) * 7
  local ttl, sliding = tonumber(ARGV[o + 5]), ARGV[o + 6] == '1'
  local r = live(i, key)
  if r then
    local ends = sliding and now + ttl or r.ends
    redis.call('HSET', key, 'c', r.count + 1, 'l', now, 'e', ends)
    redis.call('PEXPIRE', key, ends - now)
  else
    redis.call('DEL', key)
    redis.call('HSET', key, 'c', 1, 's', now, 'l', now, 'e', now + ttl)
    redis.call('PEXPIRE', key, ttl)
  end
end
return {}`;

const GIVE_BACK = `for _, key in ipairs(KEYS) do
  if redis.call('EXISTS', key) == 1 and redis.call('HINCRBY', key, 'c', -1) <= 0 then redis.call('DEL', key) end
end
return 0`;

// READ: every key's record in one round trip, as HMGET gives it; nils where there is none, or
// where the key holds a mark (a string), which HMGET would refuse.
const READ = `local records = {}
for i, key in ipairs(KEYS) do
  if redis.call('TYPE', key).ok == 'hash' then records[i] = redis.call('HMGET', key, 'c', 's', 'l', 'e') else records[i] = {} end
end
return records`;

/** Attempt counters on Redis, shared by every instance; each call is one atomic command or script. */
export class RedisCounters implements AttemptCounters {
  readonly #link: RedisLink;

  constructor(link: RedisLink) {
    this.#link = link;
  }

  async take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null> {
    const args = attempts.flatMap(({ rule, voidBeforeMs }) => [
      rule.limit,
      rule.freeAttempts,
      rule.baseDelayMs,
      rule.maxDelayMs,
      rule.ttlMs,
      rule.isSliding ? 1 : 0,
      voidBeforeMs ?? -1,
    ]);
    const keys = attempts.map(({ key }) => key);
    const waits = (await this.#link.run((redis) => redis.eval(TAKE, keys.length, ...keys, nowMs, ...args))) as number[];
    return waits.length === 0 ? null : waits;
  }

  async giveBack(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.#link.run((redis) => redis.eval(GIVE_BACK, keys.length, ...keys));
  }

  async clear(keys: readonly string[]): Promise<void> {
    if (keys.length > 0) await this.#link.run((redis) => redis.del(...keys));
  }

  async read(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<AttemptRecord | null>> {
    if (keys.length === 0) return [];
    const replies = (await this.#link.run((redis) => redis.eval(READ, keys.length, ...keys))) as Array<Array<string | null>>;
    return replies.map((reply) => {
      const [count = 0, startMs = 0, lastMs = 0, expiresAtMs = 0] = reply.map(Number);
      // As TAKE's live(): a record with nothing counted, or past its end, is none.
      return count > 0 && expiresAtMs > nowMs ? { count, startMs, lastMs, expiresAtMs } : null;
    });
  }

  async mark(key: string, valueMs: number, ttlMs: number, nowMs: number): Promise<void> {
    await this.#link.run((redis) => redis.set(key, `${valueMs}:${nowMs + ttlMs}`, 'PX', ttlMs));
  }

  async readMarks(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<number | null>> {
    const values = await this.#link.run((redis) => redis.mget(...keys));
    return values.map((value) => {
      const [mark, expiresAt] = (value ?? '').split(':').map(Number);
      return mark !== undefined && expiresAt !== undefined && Number.isFinite(mark) && expiresAt > nowMs ? mark : null;
    });
  }
}
