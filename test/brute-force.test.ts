import { afterEach, describe, expect, it } from 'vitest';
import { generateSecret } from '../src/core/secrets.js';
import { connectRedis, waitForRedis } from '../src/store/cache/redis-connection.js';
import { RedisCounters } from '../src/store/cache/redis-counters.js';
import { TEST_REDIS_URL, testKeyPrefix } from './support/databases.js';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { checkedFetch } from './support/openapi-conformance.js';
import { testConfig, type ConfigOverrides } from './support/test-config.js';

const opened: Array<{ close(): Promise<void> | void }> = [];
afterEach(async () => {
  for (const item of opened.splice(0).reverse()) await item.close();
});

/** A listening Sesame over `createAppHarness`; its URL. */
async function listening(harness: AppHarness): Promise<string> {
  opened.push(harness);
  await harness.app.listen({ host: '127.0.0.1', port: 0 });
  const { port } = harness.app.server.address() as { port: number };
  return `http://127.0.0.1:${port}`;
}

function guess(url: string, path: '/sessions' | '/token', password: string): Promise<Response> {
  const body =
    path === '/sessions'
      ? new URLSearchParams({ email: 'victim@x.io', password })
      : new URLSearchParams({ grant_type: 'password', username: 'victim@x.io', password });
  return checkedFetch(`${url}${path}`, { method: 'POST', body });
}

/** Fires `count` wrong guesses at once, spread over the URLs and both log-in routes; the statuses. */
async function burst(urls: readonly string[], count: number): Promise<number[]> {
  const responses = await Promise.all(
    Array.from({ length: count }, (_, index) => guess(urls[index % urls.length]!, index % 2 === 0 ? '/sessions' : '/token', `guess-${index}`)),
  );
  for (const response of responses) {
    if (response.status === 429) expect(Number(response.headers.get('retry-after'))).toBeGreaterThan(0);
  }
  return responses.map((response) => response.status);
}

// The victim registered from an address of its own.
const owner = { address: '198.51.100.1' };

const verdicts = (statuses: number[]) => statuses.filter((status) => status === 400 || status === 401).length;

// Only the per-account-and-client threshold (10) binds: a burst from one address.
const perClientOnly: ConfigOverrides = { auth: { limits: { accountFreeFailures: 100, clientFailures: 1000 } } };

describe('a burst of 200 concurrent wrong guesses from one address', () => {
  it('gets no more password verdicts than the threshold; the rest 429 with Retry-After', async () => {
    const h = await createAppHarness(testConfig(perClientOnly));
    await h.auth.register('victim@x.io', 'correct horse', owner);
    const url = await listening(h);
    const statuses = await burst([url], 200);
    expect(verdicts(statuses)).toBe(10);
    expect(statuses.filter((status) => status === 429)).toHaveLength(190);
    // The right password is refused too, until the window ends.
    expect((await guess(url, '/sessions', 'correct horse')).status).toBe(429);
  });

  it('with the defaults, gets fewer verdicts still: the account delay binds first, after 5', async () => {
    const h = await createAppHarness();
    await h.auth.register('victim@x.io', 'correct horse', owner);
    const statuses = await burst([await listening(h)], 200);
    expect(verdicts(statuses)).toBe(5);
    expect(statuses.filter((status) => status === 429)).toHaveLength(195);
  });

  it.runIf(TEST_REDIS_URL)('spread over two instances sharing Redis, gets no more verdicts than the threshold', async () => {
    const prefix = testKeyPrefix();
    const first = await createAppHarness(testConfig(perClientOnly), undefined, await redisCounters(prefix));
    await first.auth.register('victim@x.io', 'correct horse', owner);
    const second = await createAppHarness(testConfig({ ...perClientOnly, database: first.config.database }), undefined, await redisCounters(prefix));
    const statuses = await burst([await listening(first), await listening(second)], 200);
    expect(verdicts(statuses)).toBe(10);
  });
});

describe('a burst of forged tokens from one address, with the defaults', () => {
  /** A Sesame with the victim registered; and how to present a form to it, from the guesser's address unless told. */
  async function setUp() {
    const h = await createAppHarness();
    opened.push(h);
    await h.auth.register('victim@x.io', 'correct horse', owner);
    const present = (path: '/token' | '/reset_password', payload: string, remoteAddress = '203.0.113.1') =>
      h.app.inject({ method: path === '/token' ? 'POST' : 'PUT', url: path, remoteAddress, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload });
    return { auth: h.auth, present };
  }

  it('of 100 refresh tokens gets 50 verdicts, the rest 429 temporarily_unavailable; the owner elsewhere refreshes on', async () => {
    const { auth, present } = await setUp();
    const { refreshToken } = await auth.grantTokens('victim@x.io', 'correct horse', owner);
    const sessionId = refreshToken.split('.')[0]!;
    const answers = await Promise.all(
      Array.from({ length: 100 }, () => present('/token', `grant_type=refresh_token&refresh_token=${sessionId}.${generateSecret()}`)),
    );
    expect(answers.filter((answer) => answer.statusCode === 400)).toHaveLength(50);
    const refused = answers.filter((answer) => answer.statusCode === 429);
    expect(refused).toHaveLength(50);
    expect(refused[0]!.json()).toMatchObject({ error: 'temporarily_unavailable' });
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await present('/token', `grant_type=refresh_token&refresh_token=${refreshToken}`, owner.address)).statusCode).toBe(200);
  });

  it('of 300 reset tokens gets 20 verdicts, the rest 429; the owner elsewhere resets', async () => {
    const { auth, present } = await setUp();
    const { resetToken } = await auth.requestPasswordReset('victim@x.io', owner);
    const answers = await Promise.all(
      Array.from({ length: 300 }, () => present('/reset_password', `email=victim%40x.io&reset_token=${generateSecret()}&new_password=mine+now`)),
    );
    expect(answers.filter((answer) => answer.statusCode === 403)).toHaveLength(20);
    const refused = answers.filter((answer) => answer.statusCode === 429);
    expect(refused).toHaveLength(280);
    expect(refused[0]!.json()).toEqual({ message: 'too many attempts, retry later' });
    expect(Number(refused[0]!.headers['retry-after'])).toBeGreaterThan(0);
    expect((await present('/reset_password', `email=victim%40x.io&reset_token=${resetToken!}&new_password=mine+again`, owner.address)).statusCode).toBe(200);
  });
});

async function redisCounters(prefix: string): Promise<RedisCounters> {
  const redis = connectRedis(TEST_REDIS_URL!, prefix);
  opened.push({ close: () => redis.disconnect() });
  await waitForRedis(redis, 2_000);
  return new RedisCounters(redis);
}
