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
  /** A record begun at or before this time (epoch ms) counts as empty: how a reset clears records it cannot name. */
  readonly voidBeforeMs?: number;
}

/** What is known of one key: how many attempts, the first and last one's times, when it ends (epoch ms). */
export interface AttemptRecord {
  readonly count: number;
  readonly startMs: number;
  readonly lastMs: number;
  readonly expiresAtMs: number;
}

/**
 * The port of attempt counters: shared by every instance (Redis), or held by one process. The
 * rule travels with each call, so instances agree on a key's meaning without storing it. Times
 * are the caller's clock, so every implementation judges alike.
 */
export interface AttemptCounters {
  /**
   * Atomically, for every instance sharing the counters: when each key's rule allows one more
   * attempt, counts one on every key and returns null; otherwise counts nothing and returns,
   * per attempt, how many milliseconds it still refuses (0 for those that would allow).
   * Throws `CacheUnavailableError` when shared counters cannot be reached.
   */
  take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null>;
  /** Uncounts one attempt on each key: a success, or a check that could not be made, gives back what it took. */
  giveBack(keys: readonly string[]): Promise<void>;
  /** Forgets every attempt counted under the keys, and the marks. */
  clear(keys: readonly string[]): Promise<void>;
  /** What is counted under each key now, null where nothing is (or its record has expired). */
  read(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<AttemptRecord | null>>;
  /** Sets a mark: a time (epoch ms) kept under `key` for `ttlMs`. */
  mark(key: string, valueMs: number, ttlMs: number, nowMs: number): Promise<void>;
  /** The marks under `keys`, null where there is none (or it has expired). */
  readMarks(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<number | null>>;
}
