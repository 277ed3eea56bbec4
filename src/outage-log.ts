import type { Logger } from 'pino';
import type { Clock } from './core/clock.js';
import { StoreUnavailableError } from './core/store.js';
import { rootCause } from './logger.js';
import type { AvailabilityReport } from './store/availability.js';

// While a dependency stays away, a line at most this often says so again.
const REMINDER_INTERVAL_MS = 60_000;

/** Where failed operations are counted, by dependency. */
export interface FailureCounter {
  dependencyFailed(dependency: string): void;
}

interface Outage {
  readonly sinceMs: number;
  failures: number;
  lastLineMs: number;
}

/**
 * The log of one dependency's outages (`name`: `database`, `cache`): a warning when it becomes
 * unreachable, with the cause; a reminder at most once a minute while it stays so; a warning
 * when it answers again, with how long it was away. A request that fails meanwhile adds no
 * line: thousands of identical warnings with stack traces hide the one that matters.
 */
export class OutageLog implements AvailabilityReport {
  readonly #logger: Logger;
  readonly #name: string;
  readonly #clock: Clock;
  #outage: Outage | null = null;
  // Outages ended so far: the mark an operation takes as it starts.
  #recoveries = 0;
  #counter: FailureCounter | null = null;

  constructor(logger: Logger, name: string, clock: Clock) {
    this.#logger = logger;
    this.#name = name;
    this.#clock = clock;
  }

  /** Counts every failed operation in `counter` from now on (the metrics, when they are on). */
  countIn(counter: FailureCounter): void {
    this.#counter = counter;
  }

  mark(): number {
    return this.#recoveries;
  }

  available(): void {
    if (this.#outage === null) return;
    const { sinceMs, failures } = this.#outage;
    this.#outage = null;
    this.#recoveries += 1;
    const awayMs = this.#clock.now().getTime() - sinceMs;
    this.#logger.warn({ dependency: this.#name, awayMs, failures }, `${this.#name} available again after ${seconds(awayMs)} s; ${failures} operations failed meanwhile`);
  }

  unavailable(error: Error, mark: number): void {
    this.#counter?.dependencyFailed(this.#name);
    const nowMs = this.#clock.now().getTime();
    if (this.#outage === null) {
      // It failed while in flight across a recovery: old news, not a new outage.
      if (mark !== this.#recoveries) return;
      this.#outage = { sinceMs: nowMs, failures: 1, lastLineMs: nowMs };
      this.#logger.warn({ dependency: this.#name, code: codeOf(error), cause: rootCause(error) }, `${this.#name} unavailable: ${rootCause(error)}`);
      return;
    }
    const outage = this.#outage;
    outage.failures += 1;
    if (nowMs - outage.lastLineMs < REMINDER_INTERVAL_MS) return;
    outage.lastLineMs = nowMs;
    const awayMs = nowMs - outage.sinceMs;
    this.#logger.warn(
      { dependency: this.#name, code: codeOf(error), cause: rootCause(error), awayMs, failures: outage.failures },
      `${this.#name} still unavailable after ${seconds(awayMs)} s (${outage.failures} operations failed): ${rootCause(error)}`,
    );
  }
}

/**
 * The innermost error code along an error's causes (`ECONNREFUSED`, `ETIMEDOUT`, PostgreSQL's
 * `57P01`, `SQLITE_BUSY`), or null when none has one: what an operator searches for first.
 */
export function codeOf(error: unknown): string | number | null {
  let code: string | number | null = null;
  for (let current = error; current instanceof Error; current = current.cause) {
    const own = (current as { code?: unknown }).code;
    if (typeof own === 'string' || typeof own === 'number') code = own;
  }
  return code;
}

function seconds(ms: number): string {
  return (ms / 1000).toFixed(1);
}

/**
 * What a background task does with its failure: a warning with the error, unless the database
 * is away, which the database's outage log says once for every task and request.
 */
export function warnUnlessUnavailable(logger: Logger, message: string): (error: unknown) => void {
  return (error) => {
    if (!(error instanceof StoreUnavailableError)) logger.warn({ err: error }, message);
  };
}
