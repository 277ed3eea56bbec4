import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { testConfig } from '../../test/support/test-config.js';
import { buildApp } from '../app.js';
import { createAuth } from '../core/auth.js';
import { auditTo, createLogger } from '../logger.js';

interface Line {
  readonly msg: string;
  readonly time: unknown;
  readonly reqId?: string;
  readonly requestId?: string;
  readonly event?: string;
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

/** The app with its log and audit log captured, behind a proxy at 127.0.0.1 (where `inject` comes from) when `trustProxy` says so. */
async function appWithLog(trustProxy: readonly string[]) {
  const config = testConfig({ http: { trustProxy } });
  harness = await createHarness(config);
  const written: string[] = [];
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        written.push(chunk.toString());
        done();
      },
    }),
  );
  const auth = createAuth({ ...harness.deps, audit: auditTo(logger) });
  const app = await buildApp({ auth, logger, http: config.http });
  const lines = () => written.map((line) => JSON.parse(line) as Line);
  return { app, lines };
}

const form = { 'content-type': 'application/x-www-form-urlencoded' };
// This process's random prefix, then a counter.
const OWN_ID = /^[A-Za-z0-9_-]{12}-[0-9a-z]+$/;

describe('request ids', () => {
  it("take a trusted proxy's X-Request-Id, echo it, and put it on the request's log lines and audit events", async () => {
    const { app, lines } = await appWithLog(['127.0.0.1']);
    const response = await app.inject({ method: 'POST', url: '/sessions', headers: { ...form, 'x-request-id': 'edge-7f3a.1' }, payload: 'email=a%40x.io&password=wrong' });
    await app.close();
    expect(response.statusCode).toBe(401);
    expect(response.headers['x-request-id']).toBe('edge-7f3a.1');
    const audit = lines().find((line) => line.event === 'login_failed');
    expect(audit?.requestId).toBe('edge-7f3a.1');
    const completed = lines().find((line) => line.msg === 'request completed');
    expect(completed?.reqId).toBe('edge-7f3a.1');
  });

  it("ignore an untrusted peer's X-Request-Id and make a fresh one per request", async () => {
    const { app, lines } = await appWithLog([]);
    const first = await app.inject({ method: 'POST', url: '/sessions', headers: { ...form, 'x-request-id': 'forged' }, payload: 'email=a%40x.io&password=wrong' });
    const second = await app.inject({ method: 'GET', url: '/', headers: { 'x-request-id': 'forged' } });
    await app.close();
    const ids = [first.headers['x-request-id'], second.headers['x-request-id']];
    for (const id of ids) expect(id).toMatch(OWN_ID);
    expect(ids[0]).not.toBe(ids[1]);
    expect(lines().find((line) => line.event === 'login_failed')?.requestId).toBe(ids[0]);
    expect(lines().some((line) => JSON.stringify(line).includes('forged'))).toBe(false);
  });

  it("refuse a trusted proxy's id that is too long or not printable, and make one instead", async () => {
    const { app } = await appWithLog(['127.0.0.1']);
    for (const bad of ['a'.repeat(129), 'two words', 'tab\there', 'é']) {
      const response = await app.inject({ method: 'GET', url: '/', headers: { 'x-request-id': bad } });
      expect(response.headers['x-request-id']).toMatch(OWN_ID);
    }
    await app.close();
  });

  it('come with ISO-8601 times on every log line', async () => {
    const { app, lines } = await appWithLog([]);
    await app.inject({ method: 'GET', url: '/' });
    await app.close();
    expect(lines().length).toBeGreaterThan(0);
    for (const line of lines()) expect(line.time).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
  });
});

describe('a full hashing queue', () => {
  it('says why it answers 503 at warn level, once for a burst, with the request id', async () => {
    const config = testConfig({ hashing: { concurrency: 1, queueLimit: 0 } });
    harness = await createHarness(config);
    const written: string[] = [];
    const logger = createLogger('warn', new Writable({ write: (chunk: Buffer, _encoding, done) => (written.push(chunk.toString()), done()) }));
    const app = await buildApp({ auth: harness.auth, logger, http: config.http });
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) => app.inject({ method: 'POST', url: '/users', headers: form, payload: `email=u${index}%40x.io&password=pw-${index}` })),
    );
    await app.close();
    const refused = answers.filter((answer) => answer.statusCode === 503);
    expect(refused.length).toBeGreaterThan(1);
    const lines = written.map((line) => JSON.parse(line) as Line & { dependency?: string; code?: string; level: number });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 40, dependency: 'password hashing', code: 'overloaded' });
    expect(refused.map((answer) => answer.headers['x-request-id'])).toContain(lines[0]!.reqId);
  });
});
