import { afterEach, describe, expect, it, vi } from 'vitest';
import { deferred } from '../test/support/deferred.js';
import { createHarness, type Harness } from '../test/support/harness.js';
import { testConfig } from '../test/support/test-config.js';
import { repeatEvery, runWhenWoken } from './repeat.js';

let harness: Harness | undefined;
afterEach(async () => {
  vi.useRealTimers();
  await harness?.close();
  harness = undefined;
});

describe('repeatEvery', () => {
  it('runs the periodic purge at every interval until stopped', async () => {
    harness = await createHarness(testConfig({ auth: { sessionIdleTimeoutSeconds: 60, singleCookieSession: false } }));
    const { auth, clock } = harness;
    await auth.register('a@x.io', 'pw', { address: '203.0.113.7' });
    await auth.logIn('a@x.io', 'pw', null, { address: '203.0.113.7' });
    clock.advanceSeconds(120);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const purged: number[] = [];
    const stop = repeatEvery(900, async () => void purged.push((await auth.purgeExpired()).sessions), () => undefined);

    await vi.advanceTimersByTimeAsync(899_000);
    expect(purged).toEqual([]);
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(purged).toEqual([1]));

    stop();
    await vi.advanceTimersByTimeAsync(1_800_000);
    expect(purged).toEqual([1]);
  });

  it('reports a failure and runs again at the next interval', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const errors: unknown[] = [];
    const stop = repeatEvery(60, () => Promise.reject(new Error('store down')), (error) => errors.push(error));
    await vi.advanceTimersByTimeAsync(120_000);
    await vi.waitFor(() => expect(errors).toHaveLength(2));
    stop();
  });

  it('never overlaps a run that is still going', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const gate = deferred();
    let runs = 0;
    const stop = repeatEvery(1, async () => {
      runs += 1;
      await gate.promise;
    }, () => undefined);
    await vi.advanceTimersByTimeAsync(5_000);
    expect(runs).toBe(1);
    gate.resolve();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(runs).toBe(2);
    stop();
  });

  it('never runs with an interval of 0', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    let runs = 0;
    repeatEvery(0, async () => void (runs += 1), () => undefined)();
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(runs).toBe(0);
  });
});

describe('runWhenWoken', () => {
  it('runs once more for wakes during a run, never two at once, and misses no wake at the edge', async () => {
    let runs = 0;
    let concurrent = 0;
    let gate = deferred();
    const runner = runWhenWoken(async () => {
      runs += 1;
      concurrent += 1;
      expect(concurrent).toBe(1);
      await gate.promise;
      concurrent -= 1;
    }, () => undefined);
    runner.wake();
    runner.wake();
    runner.wake();
    gate.resolve();
    await runner.idle();
    expect(runs).toBe(2);
    // A wake just as a run ends, before its bookkeeping: it still gets its run.
    gate = deferred();
    runner.wake();
    gate.resolve();
    await Promise.resolve();
    await Promise.resolve();
    runner.wake();
    await runner.idle();
    expect(runs).toBe(4);
  });

  it('reports a failed run and runs again at the next wake', async () => {
    const errors: unknown[] = [];
    let runs = 0;
    const runner = runWhenWoken(async () => {
      runs += 1;
      if (runs === 1) throw new Error('boom');
    }, (error) => errors.push(error));
    runner.wake();
    await runner.idle();
    runner.wake();
    await runner.idle();
    expect([runs, errors.length]).toEqual([2, 1]);
  });
});
