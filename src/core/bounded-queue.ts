import { AuthError } from './errors.js';

export interface BoundedQueueLimits {
  /** Tasks running at once. */
  readonly concurrency: number;
  /** Tasks waiting for a slot; one more is refused at once. */
  readonly queueLimit: number;
}

/** Runs async tasks with bounded concurrency behind a bounded wait list. */
export interface BoundedQueue {
  /**
   * Runs `task` when a slot is free. Throws `AuthError('overloaded')` without running it when
   * every slot is busy and the wait list is full, so a burst costs memory and latency only up
   * to a fixed bound (DESIGN.md §1: a login storm must never starve session checks).
   */
  run<T>(task: () => Promise<T>): Promise<T>;
}

const RETRY_AFTER_SECONDS = 1;

/** A queue that runs at most `limits.concurrency` tasks at once, in arrival order, with at most `limits.queueLimit` waiting. */
export function createBoundedQueue(limits: BoundedQueueLimits): BoundedQueue {
  let running = 0;
  const waiters: Array<() => void> = [];

  async function run<T>(task: () => Promise<T>): Promise<T> {
    if (running < limits.concurrency) {
      running += 1;
    } else if (waiters.length < limits.queueLimit) {
      // The finishing task hands its slot over directly, so `running` stays as it is.
      await new Promise<void>((resolve) => waiters.push(resolve));
    } else {
      throw new AuthError('overloaded', 'server busy, retry shortly', RETRY_AFTER_SECONDS);
    }
    try {
      return await task();
    } finally {
      const next = waiters.shift();
      if (next) next();
      else running -= 1;
    }
  }

  return { run };
}
