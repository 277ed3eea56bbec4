import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { TestClock } from '../test/support/test-clock.js';
import { StoreUnavailableError } from './core/store.js';
import { createLogger } from './logger.js';
import { OutageLog } from './outage-log.js';

function logTo(): { log: OutageLog; clock: TestClock; lines: () => Array<{ msg: string; err?: unknown; level?: number }> } {
  const written: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      written.push(chunk.toString());
      done();
    },
  });
  const clock = new TestClock();
  const log = new OutageLog(createLogger('info', stream), 'database', clock);
  return { log, clock, lines: () => written.map((line) => JSON.parse(line) as { msg: string; err?: unknown }) };
}

const refused = new StoreUnavailableError('the database is unavailable', { cause: new Error('connect ECONNREFUSED 127.0.0.1:5432') });

describe('the outage log', () => {
  it('writes one line when the dependency goes, with the cause, and one when it is back, with how long it was away', () => {
    const { log, clock, lines } = logTo();
    log.available();
    for (let failure = 0; failure < 1_000; failure += 1) log.unavailable(refused, log.mark());
    clock.advanceSeconds(10);
    log.available();
    log.available();
    expect(lines().map((line) => line.msg)).toEqual([
      'database unavailable: connect ECONNREFUSED 127.0.0.1:5432',
      'database available again after 10.0 s; 1000 operations failed meanwhile',
    ]);
    expect(lines().some((line) => line.err !== undefined)).toBe(false);
  });

  it('reminds at most once a minute while the dependency stays away', () => {
    const { log, clock, lines } = logTo();
    log.unavailable(refused, log.mark());
    for (let second = 0; second < 150; second += 1) {
      clock.advanceSeconds(1);
      log.unavailable(refused, log.mark());
    }
    expect(lines().map((line) => line.msg)).toEqual([
      'database unavailable: connect ECONNREFUSED 127.0.0.1:5432',
      'database still unavailable after 60.0 s (61 operations failed): connect ECONNREFUSED 127.0.0.1:5432',
      'database still unavailable after 120.0 s (121 operations failed): connect ECONNREFUSED 127.0.0.1:5432',
    ]);
  });

  it('takes a failure of an operation in flight across a recovery as old news, and a later one as a new outage', () => {
    const { log, lines } = logTo();
    log.unavailable(refused, log.mark());
    const inFlight = log.mark();
    log.available();
    log.unavailable(new StoreUnavailableError('the database did not answer within 1000 ms'), inFlight);
    expect(lines()).toHaveLength(2);
    log.unavailable(refused, log.mark());
    expect(lines().map((line) => line.msg)).toHaveLength(3);
    expect(lines()[2]!.msg).toBe('database unavailable: connect ECONNREFUSED 127.0.0.1:5432');
  });
});

describe('the outage log names the cause', () => {
  it("with the innermost error code along the causes, so that an operator can search for it", () => {
    const { log, lines } = logTo();
    const inner = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), { code: 'ECONNREFUSED' });
    log.unavailable(new StoreUnavailableError('the database is unavailable', { cause: Object.assign(new Error('pool', { cause: inner }), { code: 'POOL' }) }), log.mark());
    expect(lines()[0]).toMatchObject({ level: 40, dependency: 'database', code: 'ECONNREFUSED' });
  });
});

describe('the outage log counts', () => {
  it('every failed operation in the metrics, though it writes one line', () => {
    const { log, lines } = logTo();
    const counted: string[] = [];
    log.countIn({ dependencyFailed: (dependency) => counted.push(dependency) });
    for (let failure = 0; failure < 5; failure += 1) log.unavailable(refused, log.mark());
    expect(counted).toEqual(Array(5).fill('database'));
    expect(lines()).toHaveLength(1);
  });
});
