import { describe, expect, it } from 'vitest';
import { createBoundedQueue } from './bounded-queue.js';
import { deferred } from '../../test/support/deferred.js';
import { AuthError } from './errors.js';

describe('bounded queue', () => {
  it('runs at most `concurrency` tasks and queues the next ones in order', async () => {
    const queue = createBoundedQueue({ concurrency: 2, queueLimit: 2 });
    const gates = [deferred(), deferred(), deferred(), deferred()];
    const started: number[] = [];
    const runs = gates.map((gate, index) =>
      queue.run(async () => {
        started.push(index);
        await gate.promise;
        return index;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([0, 1]);
    expect(queue.running).toBe(2);
    expect(queue.waiting).toBe(2);

    gates[0]!.resolve();
    await runs[0];
    await Promise.resolve();
    expect(started).toEqual([0, 1, 2]);
    expect(queue.running).toBe(2);
    expect(queue.waiting).toBe(1);

    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
    expect(queue.running).toBe(0);
    expect(queue.waiting).toBe(0);
  });

  it('refuses at once, without running the task, when slots and queue are full', async () => {
    const queue = createBoundedQueue({ concurrency: 1, queueLimit: 1 });
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
  });

  it('frees the slot of a task that fails', async () => {
    const queue = createBoundedQueue({ concurrency: 1, queueLimit: 0 });
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(queue.running).toBe(0);
    await expect(queue.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
