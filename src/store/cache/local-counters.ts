import { LRUCache } from 'lru-cache';
import type { Attempt, AttemptCounters, AttemptRecord } from '../../core/attempt-counters.js';

type Entry = AttemptRecord | { readonly markMs: number; readonly expiresAtMs: number };

/**
 * Attempt counters held by this process, in a least-recently-used map of at most `maxEntries`
 * keys, so that a flood of distinct keys (one per guessed email) costs bounded memory. An
 * evicted key starts again from zero: the per-client budget keeps one client from evicting at
 * will.
 */
export class LocalAttemptCounters implements AttemptCounters {
  readonly #entries: LRUCache<string, Entry>;

  constructor(maxEntries: number) {
    this.#entries = new LRUCache({ max: maxEntries });
  }

  take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null> {
    const waits = attempts.map((attempt) => refusalMs(this.#record(attempt.key), attempt, nowMs));
    if (waits.some((wait) => wait > 0)) return Promise.resolve(waits);
    for (const attempt of attempts) this.#entries.set(attempt.key, counted(this.#record(attempt.key), attempt, nowMs));
    return Promise.resolve(null);
  }

  giveBack(keys: readonly string[]): Promise<void> {
    for (const key of keys) {
      const current = this.#record(key);
      if (current === undefined) continue;
      if (current.count <= 1) this.#entries.delete(key);
      else this.#entries.set(key, { ...current, count: current.count - 1 });
    }
    return Promise.resolve();
  }

  clear(keys: readonly string[]): Promise<void> {
    for (const key of keys) this.#entries.delete(key);
    return Promise.resolve();
  }

  read(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<AttemptRecord | null>> {
    return Promise.resolve(
      keys.map((key) => {
        // A peek: an operator's look at many accounts must not make their records the last evicted.
        const entry = this.#entries.peek(key);
        return entry !== undefined && 'count' in entry && entry.count > 0 && entry.expiresAtMs > nowMs ? entry : null;
      }),
    );
  }

  mark(key: string, valueMs: number, ttlMs: number, nowMs: number): Promise<void> {
    this.#entries.set(key, { markMs: valueMs, expiresAtMs: nowMs + ttlMs });
    return Promise.resolve();
  }

  readMarks(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<number | null>> {
    return Promise.resolve(
      keys.map((key) => {
        const entry = this.#entries.get(key);
        return entry !== undefined && 'markMs' in entry && entry.expiresAtMs > nowMs ? entry.markMs : null;
      }),
    );
  }

  #record(key: string): AttemptRecord | undefined {
    const entry = this.#entries.get(key);
    return entry !== undefined && 'count' in entry ? entry : undefined;
  }
}

// The rule semantics, as RedisCounters' script mirrors them.
/** How long `record` still refuses another attempt under the attempt's rule (0: it allows one). */
function refusalMs(record: AttemptRecord | undefined, attempt: Attempt, nowMs: number): number {
  if (!isLive(record, attempt, nowMs)) return 0;
  const { rule } = attempt;
  if (record.count >= rule.limit) return record.expiresAtMs - nowMs;
  if (record.count < rule.freeAttempts) return 0;
  const delayMs = Math.min(rule.baseDelayMs * 2 ** (record.count - rule.freeAttempts), rule.maxDelayMs);
  return Math.max(0, record.lastMs + delayMs - nowMs);
}

/** The record after one more attempt at `nowMs`. */
function counted(record: AttemptRecord | undefined, attempt: Attempt, nowMs: number): AttemptRecord {
  if (!isLive(record, attempt, nowMs)) return { count: 1, startMs: nowMs, lastMs: nowMs, expiresAtMs: nowMs + attempt.rule.ttlMs };
  return {
    count: record.count + 1,
    startMs: record.startMs,
    lastMs: nowMs,
    expiresAtMs: attempt.rule.isSliding ? nowMs + attempt.rule.ttlMs : record.expiresAtMs,
  };
}

function isLive(record: AttemptRecord | undefined, attempt: Attempt, nowMs: number): record is AttemptRecord {
  return record !== undefined && record.count > 0 && record.expiresAtMs > nowMs && record.startMs > (attempt.voidBeforeMs ?? -1);
}
