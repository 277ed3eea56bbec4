import { afterAll, describe, expect, it } from 'vitest';
import type { Attempt, AttemptCounters, AttemptRule } from '../src/core/attempt-counters.js';
import { LocalAttemptCounters } from '../src/store/cache/local-counters.js';
import { connectRedis, waitForRedis } from '../src/store/cache/redis-connection.js';
import { RedisCounters } from '../src/store/cache/redis-counters.js';
import { TEST_REDIS_URL, testKeyPrefix } from './support/databases.js';

const T0 = Date.UTC(2026, 0, 1);
const window = (limit: number, ttlMs = 60_000): AttemptRule => ({
  limit,
  freeAttempts: limit,
  baseDelayMs: 0,
  maxDelayMs: 0,
  ttlMs,
  isSliding: false,
});
const delayed: AttemptRule = { limit: 6, freeAttempts: 2, baseDelayMs: 1000, maxDelayMs: 3000, ttlMs: 600_000, isSliding: true };

const closers: Array<() => void> = [];
afterAll(() => closers.forEach((close) => close()));

const implementations: Array<[string, () => Promise<AttemptCounters>]> = [['in-process', async () => new LocalAttemptCounters(1000)]];
if (TEST_REDIS_URL) {
  implementations.push([
    'Redis',
    async () => {
      const redis = connectRedis(TEST_REDIS_URL!, testKeyPrefix());
      closers.push(() => redis.disconnect());
      await waitForRedis(redis, 2_000);
      return new RedisCounters(redis);
    },
  ]);
}

/** Takes one attempt on `key` and says how long it was refused (0: counted). */
async function takeOne(counters: AttemptCounters, key: string, rule: AttemptRule, nowMs: number): Promise<number> {
  return (await counters.take([{ key, rule }], nowMs))?.[0] ?? 0;
}

describe.each(implementations)('attempt counters (%s)', (_name, open) => {
  it('counts up to the limit in a fixed window, then refuses until the window ends', async () => {
    const counters = await open();
    for (let index = 0; index < 3; index += 1) expect(await takeOne(counters, 'k', window(3), T0 + index * 1000)).toBe(0);
    expect(await takeOne(counters, 'k', window(3), T0 + 10_000)).toBe(50_000);
    expect(await takeOne(counters, 'k', window(3), T0 + 59_999)).toBe(1);
    expect(await takeOne(counters, 'k', window(3), T0 + 60_000)).toBe(0);
  });

  it('makes each attempt past the free ones wait twice as long, up to the cap, and stops at the limit', async () => {
    const counters = await open();
    let now = T0;
    expect(await takeOne(counters, 'k', delayed, now)).toBe(0);
    expect(await takeOne(counters, 'k', delayed, now)).toBe(0);
    expect(await takeOne(counters, 'k', delayed, now)).toBe(1000);
    for (const wait of [1000, 2000, 3000, 3000]) {
      expect(await takeOne(counters, 'k', delayed, now + wait - 1)).toBe(1);
      now += wait;
      expect(await takeOne(counters, 'k', delayed, now)).toBe(0);
    }
    // Six counted: the limit. A sliding record lives its ttl after the last attempt.
    expect(await takeOne(counters, 'k', delayed, now + 10_000)).toBe(590_000);
    expect(await takeOne(counters, 'k', delayed, now + 600_000)).toBe(0);
  });

  it('counts nothing on any key when one key refuses', async () => {
    const counters = await open();
    expect(await takeOne(counters, 'full', window(1), T0)).toBe(0);
    const refused = await counters.take(
      [
        { key: 'free', rule: window(1) },
        { key: 'full', rule: window(1) },
      ],
      T0,
    );
    expect(refused).toEqual([0, 60_000]);
    expect(await takeOne(counters, 'free', window(1), T0)).toBe(0);
  });

  it('gives attempts back one at a time and forgets cleared keys', async () => {
    const counters = await open();
    await takeOne(counters, 'k', window(2), T0);
    await takeOne(counters, 'k', window(2), T0);
    expect(await takeOne(counters, 'k', window(2), T0)).toBeGreaterThan(0);
    await counters.giveBack(['k', 'never-taken']);
    expect(await takeOne(counters, 'k', window(2), T0)).toBe(0);
    expect(await takeOne(counters, 'k', window(2), T0)).toBeGreaterThan(0);
    await counters.clear(['k']);
    expect(await takeOne(counters, 'k', window(2), T0)).toBe(0);
    expect(await takeOne(counters, 'k', window(2), T0)).toBe(0);
  });

  it('counts a record begun before an attempt\'s void-before time as empty', async () => {
    const counters = await open();
    await takeOne(counters, 'k', window(1), T0);
    expect(await takeOne(counters, 'k', window(1), T0 + 1000)).toBe(59_000);
    const voided: Attempt = { key: 'k', rule: window(1), voidBeforeMs: T0 + 500 };
    expect((await counters.take([voided], T0 + 1000))).toBeNull();
    expect(await counters.take([voided], T0 + 1000)).toEqual([60_000]);
  });

  it('keeps marks until they expire, and forgets cleared ones', async () => {
    const counters = await open();
    await counters.mark('m', T0 - 5, 10_000, T0);
    expect(await counters.readMarks(['m', 'none'], T0 + 9_999)).toEqual([T0 - 5, null]);
    expect(await counters.readMarks(['m'], T0 + 10_000)).toEqual([null]);
    await counters.clear(['m']);
    expect(await counters.readMarks(['m'], T0)).toEqual([null]);
  });

  it('reads what each key counts, in one call, and nothing for a key never taken, expired, given back or cleared', async () => {
    const counters = await open();
    expect(await counters.read([], T0)).toEqual([]);
    await takeOne(counters, 'fixed', window(3), T0);
    await takeOne(counters, 'fixed', window(3), T0 + 1000);
    await takeOne(counters, 'sliding', delayed, T0);
    await takeOne(counters, 'sliding', delayed, T0 + 500);
    await takeOne(counters, 'once', window(3), T0);
    await counters.mark('a-mark', T0, 60_000, T0);
    expect(await counters.read(['fixed', 'sliding', 'never', 'a-mark'], T0 + 2000)).toEqual([
      { count: 2, startMs: T0, lastMs: T0 + 1000, expiresAtMs: T0 + 60_000 },
      { count: 2, startMs: T0, lastMs: T0 + 500, expiresAtMs: T0 + 600_500 },
      null,
      null,
    ]);
    await counters.giveBack(['once']);
    await counters.clear(['sliding']);
    expect(await counters.read(['once', 'sliding'], T0 + 2000)).toEqual([null, null]);
    // Ended by its window: none, even where Redis has not removed it yet.
    expect(await counters.read(['fixed'], T0 + 59_999)).toEqual([expect.objectContaining({ count: 2 })]);
    expect(await counters.read(['fixed'], T0 + 60_000)).toEqual([null]);
  });

  it('counts nothing when read', async () => {
    const counters = await open();
    await takeOne(counters, 'k', window(2), T0);
    await counters.read(['k', 'k', 'other'], T0);
    expect(await takeOne(counters, 'k', window(2), T0)).toBe(0);
    expect(await takeOne(counters, 'k', window(2), T0)).toBeGreaterThan(0);
    expect(await counters.read(['other'], T0)).toEqual([null]);
  });

  it('lets exactly the limit through out of 200 concurrent takes', async () => {
    const counters = await open();
    const results = await Promise.all(Array.from({ length: 200 }, () => takeOne(counters, 'burst', window(10), T0)));
    expect(results.filter((wait) => wait === 0)).toHaveLength(10);
  });
});

describe('in-process attempt counters', () => {
  it('keep at most their capacity of keys, forgetting the least recently used', async () => {
    const counters = new LocalAttemptCounters(2);
    await takeOne(counters, 'a', window(1), T0);
    await takeOne(counters, 'b', window(1), T0);
    await takeOne(counters, 'c', window(1), T0);
    expect(await takeOne(counters, 'a', window(1), T0)).toBe(0);
    expect(await takeOne(counters, 'c', window(1), T0)).toBeGreaterThan(0);
  });
});
