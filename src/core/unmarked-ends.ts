import type { Clock } from './clock.js';

/**
 * The cache keys of sessions this instance ended but could not mark ended in the shared cache,
 * each kept for as long as a cached copy may live: until then the cache may still hold a copy
 * saying "live", and this instance knows better than to read it.
 */
export class UnmarkedEnds {
  readonly #clock: Clock;
  readonly #lifetimeMs: number;
  // Key → when it may be forgotten, in the order added, so the first ones are the first to go.
  readonly #untilMs = new Map<string, number>();

  constructor(clock: Clock, lifetimeMs: number) {
    this.#clock = clock;
    this.#lifetimeMs = lifetimeMs;
  }

  get isEmpty(): boolean {
    return this.#untilMs.size === 0;
  }

  add(keys: readonly string[]): void {
    const nowMs = this.#clock.now().getTime();
    this.#forgetExpired(nowMs);
    for (const key of keys) {
      this.#untilMs.delete(key);
      this.#untilMs.set(key, nowMs + this.#lifetimeMs);
    }
  }

  /** True when `key`'s end is known here but not to the cache, and a cached copy may still live. */
  has(key: string): boolean {
    const untilMs = this.#untilMs.get(key);
    if (untilMs === undefined) return false;
    if (untilMs > this.#clock.now().getTime()) return true;
    this.#untilMs.delete(key);
    return false;
  }

  /** Every key still to mark. */
  keys(): string[] {
    this.#forgetExpired(this.#clock.now().getTime());
    return [...this.#untilMs.keys()];
  }

  /** Forgets `keys`, marked in the cache at last. */
  delete(keys: readonly string[]): void {
    for (const key of keys) this.#untilMs.delete(key);
  }

  #forgetExpired(nowMs: number): void {
    for (const [key, untilMs] of this.#untilMs) {
      if (untilMs > nowMs) break;
      this.#untilMs.delete(key);
    }
  }
}
