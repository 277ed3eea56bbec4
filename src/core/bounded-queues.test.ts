import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/support/deferred.js';
import { createBoundedQueues, type BoundedQueueLimits } from './bounded-queues.js';
import { AuthError } from './errors.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));
const singleQueue = (limits: BoundedQueueLimits) => createBoundedQueues(limits, ['tasks']).queues.tasks;

describe('bounded queues', () => {
  it('runs at most `concurrency` tasks and starts the waiting ones in order', async () => {
    const queue = singleQueue({ concurrency: 2, queueLimit: 2 });
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, index) =>
      queue.run(async () => {
        started.push(index);
        await gate.promise;
        return index;
      }),
    );
    await tick();
    expect(started).toEqual([0, 1]);

    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);

    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
  });

  it('refuses at once, without running the task, when slots and queue are full', async () => {
    const queue = singleQueue({ concurrency: 1, queueLimit: 1 });
    const gate = deferred();
    const first = queue.run(() => gate.promise);
    const second = queue.run(() => gate.promise);
    let ran = false;
    const refused = queue.run(() => {
      ran = true;
      return Promise.resolve();
    });
    await expect(refused).rejects.toMatchObject({ code: 'overloaded', retryAfterSeconds: 1 });
    await expect(refused).rejects.toBeInstanceOf(AuthError);
    expect(ran).toBe(false);
    gate.resolve();
    await Promise.all([first, second]);
    await expect(queue.run(() => Promise.resolve('room again'))).resolves.toBe('room again');
  });

  it('frees the slot of a task that fails', async () => {
    const queue = singleQueue({ concurrency: 1, queueLimit: 0 });
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });

  it('refuses a kind whose wait list is full, and only that kind: the others wait for the shared slots', async () => {
    const { floods, others } = createBoundedQueues({ concurrency: 1, queueLimit: 2 }, ['floods', 'others']).queues;
    const gate = deferred();
    const flood = Array.from({ length: 5 }, () => floods.run(() => gate.promise));
    const settled = Promise.allSettled(flood);
    const other = others.run(() => Promise.resolve('verified'));
    gate.resolve();
    expect((await settled).map((outcome) => outcome.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'rejected']);
    await expect(other).resolves.toBe('verified');
  });

  it('hands freed slots to the kinds that wait in turn, each kind in arrival order', async () => {
    const { floods, others } = createBoundedQueues({ concurrency: 1, queueLimit: 10 }, ['floods', 'others']).queues;
    const started: string[] = [];
    const gates = new Map<string, ReturnType<typeof deferred>>();
    const start = (queue: typeof floods, name: string) => {
      const gate = deferred();
      gates.set(name, gate);
      return queue.run(async () => {
        started.push(name);
        await gate.promise;
      });
    };
    const runs = [start(floods, 'f1'), start(floods, 'f2'), start(floods, 'f3'), start(others, 'o1'), start(others, 'o2'), start(floods, 'f4')];
    for (const name of ['f1', 'o1', 'f2', 'o2', 'f3', 'f4']) {
      await tick();
      expect(started.at(-1)).toBe(name);
      gates.get(name)!.resolve();
    }
    await Promise.all(runs);
    expect(started).toEqual(['f1', 'o1', 'f2', 'o2', 'f3', 'f4']);
  });

  it('tells its observer of each refusal and run, and its load at any moment', async () => {
    const refused: string[] = [];
    const ran: string[] = [];
    const { queues, load } = createBoundedQueues({ concurrency: 1, queueLimit: 1 }, ['checks', 'hashes'], {
      refused: (kind) => refused.push(kind),
      ran: (kind, seconds) => {
        expect(seconds).toBeGreaterThanOrEqual(0);
        ran.push(kind);
      },
    });
    const gate = deferred();
    const first = queues.checks.run(() => gate.promise);
    const second = queues.checks.run(() => Promise.resolve());
    await expect(queues.checks.run(() => Promise.resolve())).rejects.toThrow(AuthError);
    expect(load()).toEqual({ running: 1, waiting: 1 });
    expect(refused).toEqual(['checks']);
    gate.resolve();
    await Promise.all([first, second]);
    expect(load()).toEqual({ running: 0, waiting: 0 });
    expect(ran).toEqual(['checks', 'checks']);
  });
});
