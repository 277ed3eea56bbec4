import { Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createHarness, type Harness } from '../test/support/harness.js';
import { testConfig } from '../test/support/test-config.js';
import { createLogger } from './logger.js';
import { schedulePurge } from './purge-schedule.js';

let harness: Harness;
afterEach(async () => {
  vi.useRealTimers();
  await harness.close();
});

function logSink(): { logger: ReturnType<typeof createLogger>; lines: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { logger: createLogger('info', stream), lines: () => text };
}

describe('the periodic purge', () => {
  it('purges expired rows at every interval until stopped', async () => {
    harness = await createHarness(testConfig({ auth: { sessionIdleTimeoutSeconds: 60, singleCookieSession: false } }));
    const { auth, clock } = harness;
    await auth.register('a@x.io', 'pw');
    await auth.logIn('a@x.io', 'pw', null);
    clock.advanceSeconds(120);
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { logger, lines } = logSink();
    const stop = schedulePurge(auth, 900, logger);

    await vi.advanceTimersByTimeAsync(899_000);
    expect(lines()).toBe('');
    await vi.advanceTimersByTimeAsync(1_000);
    await vi.waitFor(() => expect(lines()).toContain('"purged":{"sessions":1,"resetTokens":0}'));

    await auth.logIn('a@x.io', 'pw', null);
    clock.advanceSeconds(120);
    stop();
    await vi.advanceTimersByTimeAsync(1_800_000);
    expect(lines().match(/expired rows purged/g)).toHaveLength(1);
  });

  it('logs a failed purge and keeps going', async () => {
    harness = await createHarness();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { logger, lines } = logSink();
    await harness.store.close();
    const stop = schedulePurge(harness.auth, 60, logger);
    await vi.advanceTimersByTimeAsync(120_000);
    await vi.waitFor(() => expect(lines().match(/purge failed/g)).toHaveLength(2));
    stop();
  });

  it('never runs with an interval of 0', async () => {
    harness = await createHarness();
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    const { logger, lines } = logSink();
    schedulePurge(harness.auth, 0, logger)();
    await vi.advanceTimersByTimeAsync(86_400_000);
    expect(lines()).toBe('');
  });
});
