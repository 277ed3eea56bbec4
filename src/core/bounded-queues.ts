import { AuthError } from './errors.js';

export interface BoundedQueueLimits {
  /** Tasks running at once, over every queue that shares the slots. */
  readonly concurrency: number;
  /** Tasks waiting for a slot in each queue; one more is refused at once. */
  readonly queueLimit: number;
}

/** Runs async tasks with bounded concurrency behind a bounded wait list. */
export interface BoundedQueue {
  /**
   * Runs `task` when a slot is free. Throws `AuthError('overloaded')` without running it when
   * every slot is busy and this queue's wait list is full, so a burst costs memory and latency
   * only up to a fixed bound (DESIGN.md §1: a login storm must never starve session checks).
   */
  run<T>(task: () => Promise<T>): Promise<T>;
}

/** How loaded the queues are now. */
export interface QueueLoad {
  /** Tasks holding a slot. */
  readonly running: number;
  /** Tasks waiting for one, over every queue. */
  readonly waiting: number;
}

/** Told of each refusal and each task's run time (its wait for a slot excluded), by kind. */
export interface QueueObserver<K extends string> {
  refused(kind: K): void;
  ran(kind: K, seconds: number): void;
}

const RETRY_AFTER_SECONDS = 1;

/**
 * One queue per kind of task, all sharing `limits.concurrency` slots, each with a wait list of
 * its own of at most `limits.queueLimit`. A freed slot goes to the queues that have waiters in
 * turn, and within one queue in arrival order. So a flood of one kind fills only its own wait
 * list, and every other kind still gets every other freed slot: it slows down, but is never
 * refused because of the flood. Alone, a kind may use every slot.
 */
export function createBoundedQueues<const K extends string>(
  limits: BoundedQueueLimits,
  kinds: readonly K[],
  observer?: QueueObserver<K>,
): { readonly queues: Readonly<Record<K, BoundedQueue>>; readonly load: () => QueueLoad } {
  let running = 0;
  const waitLists = kinds.map(() => [] as Array<() => void>);
  // The wait list that the next freed slot looks at first: the one after the kind served last.
  let turn = 0;

  function handOver(): void {
    for (let step = 0; step < waitLists.length; step += 1) {
      const index = (turn + step) % waitLists.length;
      const next = waitLists[index]!.shift();
      if (next) {
        turn = (index + 1) % waitLists.length;
        // The slot passes straight to the waiter, so `running` stays as it is.
        next();
        return;
      }
    }
    running -= 1;
  }

  function queueOf(index: number): BoundedQueue {
    const waiters = waitLists[index]!;
    const kind = kinds[index]!;
    return {
      async run<T>(task: () => Promise<T>): Promise<T> {
        if (running < limits.concurrency) {
          running += 1;
          turn = (index + 1) % waitLists.length;
        } else if (waiters.length < limits.queueLimit) {
          await new Promise<void>((resolve) => waiters.push(resolve));
        } else {
          observer?.refused(kind);
          throw new AuthError('overloaded', 'server busy, retry shortly', RETRY_AFTER_SECONDS);
        }
        const startedAt = observer === undefined ? 0 : performance.now();
        try {
          return await task();
        } finally {
          observer?.ran(kind, (performance.now() - startedAt) / 1000);
          handOver();
        }
      },
    };
  }

  return {
    queues: Object.fromEntries(kinds.map((kind, index) => [kind, queueOf(index)])) as Record<K, BoundedQueue>,
    load: () => ({ running, waiting: waitLists.reduce((sum, list) => sum + list.length, 0) }),
  };
}
