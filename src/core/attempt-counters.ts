import { LRUCache } from 'lru-cache';

/** How many attempts one key allows, and how fast. */
export interface AttemptRule {
  /** Attempts counted before the key refuses every attempt until its record expires. */
  readonly limit: number;
  /**
   * Attempts allowed back to back. Past them, each attempt must wait after the one before:
   * `baseDelayMs`, then twice that, and so on up to `maxDelayMs`. Equal to `limit`: no delay.
   */
  readonly freeAttempts: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /** How long a record lives: from its first attempt (a fixed window), or from its last when `isSliding`. */
  readonly ttlMs: number;
  readonly isSliding: boolean;
}

export interface Attempt {
  readonly key: string;
  readonly rule: AttemptRule;
}

/** What is known of one key: how many attempts, the last one's time, when the record ends (epoch ms). */
export interface AttemptRecord {
  readonly count: number;
  readonly lastMs: number;
  readonly expiresAtMs: number;
}

/**
 * The port of attempt counters: shared by every instance (Redis), or held by one process. The
 * rule travels with each call, so instances agree on a key's meaning without storing it.
 */
export interface AttemptCounters {
  /**
   * Atomically, for every instance sharing the counters: when each key's rule allows one more
   * attempt, counts one on every key and returns null; otherwise counts nothing and returns,
   * per attempt, how many milliseconds it still refuses (0 for those that would allow).
   * Throws `CacheUnavailableError` when shared counters cannot be reached.
   */
  take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null>;
  /** Uncounts one attempt on each key: a success gives back what it took. */
  giveBack(keys: readonly string[]): Promise<void>;
  /** Forgets every attempt counted under the keys. */
  clear(keys: readonly string[]): Promise<void>;
}

/** How long `record` still refuses another attempt under `rule` (0: it allows one). */
export function refusalMs(record: AttemptRecord | undefined, rule: AttemptRule, nowMs: number): number {
  if (!record || record.expiresAtMs <= nowMs || record.count <= 0) return 0;
  if (record.count >= rule.limit) return record.expiresAtMs - nowMs;
  if (record.count < rule.freeAttempts) return 0;
  const delayMs = Math.min(rule.baseDelayMs * 2 ** (record.count - rule.freeAttempts), rule.maxDelayMs);
  return Math.max(0, record.lastMs + delayMs - nowMs);
}

/**
 * Counters held by this process, in a least-recently-used map of at most `maxEntries` keys, so
 * that a flood of distinct keys (one per guessed email) costs bounded memory. An evicted key
 * starts again from zero: the per-client budget keeps one client from evicting at will.
 */
export class LocalAttemptCounters implements AttemptCounters {
  readonly #records: LRUCache<string, AttemptRecord>;

  constructor(maxEntries: number) {
    this.#records = new LRUCache({ max: maxEntries });
  }

  take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null> {
    const waits = attempts.map(({ key, rule }) => refusalMs(this.#records.get(key), rule, nowMs));
    if (waits.some((wait) => wait > 0)) return Promise.resolve(waits);
    for (const { key, rule } of attempts) {
      const current = this.#records.get(key);
      const isLive = current !== undefined && current.expiresAtMs > nowMs && current.count > 0;
      this.#records.set(key, {
        count: isLive ? current.count + 1 : 1,
        lastMs: nowMs,
        expiresAtMs: isLive && !rule.isSliding ? current.expiresAtMs : nowMs + rule.ttlMs,
      });
    }
    return Promise.resolve(null);
  }

  giveBack(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const current = this.#records.get(key);
      if (current === undefined) continue;
      if (current.count <= 1) this.#records.delete(key);
      else this.#records.set(key, { ...current, count: current.count - 1 });
    }
    return Promise.resolve();
  }

  clear(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#records.delete(key);
    return Promise.resolve();
  }
}
