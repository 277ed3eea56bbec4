import { describe, expect, it } from 'vitest';
import { deferred } from '../../test/support/deferred.js';
import { createBoundedQueue } from './bounded-queue.js';
import { AuthError } from './errors.js';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('bounded queue', () => {
  it('runs at most `concurrency` tasks and starts the waiting ones in order', async () => {
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
    await tick();
    expect(started).toEqual([0, 1]);

    gates[1]!.resolve();
    await tick();
    expect(started).toEqual([0, 1, 2]);

    for (const gate of gates) gate.resolve();
    expect(await Promise.all(runs)).toEqual([0, 1, 2, 3]);
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
    await expect(queue.run(() => Promise.resolve('room again'))).resolves.toBe('room again');
  });

  it('frees the slot of a task that fails', async () => {
    const queue = createBoundedQueue({ concurrency: 1, queueLimit: 0 });
    await expect(queue.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(queue.run(() => Promise.resolve('next'))).resolves.toBe('next');
  });
});
