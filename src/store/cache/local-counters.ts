import { LRUCache } from 'lru-cache';
import { counted, refusalMs, type Attempt, type AttemptCounters, type AttemptRecord } from '../../core/attempt-counters.js';

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
