import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAppHarness, sessionCookieOf, type AppHarness } from '../../../test/support/harness.js';
import { TEST_REDIS_URL, testKeyPrefix } from '../../../test/support/databases.js';
import { TcpProxy } from '../../../test/support/tcp-proxy.js';
import { tempDatabasePath, testConfig } from '../../../test/support/test-config.js';
import { CacheUnavailableError, cookieCacheKey } from '../../core/cache.js';
import { hashSecret } from '../../core/secrets.js';
import type { SessionWithEmail } from '../../core/store.js';
import { RedisCache } from './redis-cache.js';
import { connectRedis, waitForRedis } from './redis-connection.js';

const session: SessionWithEmail = {
  id: 'session-id-0000000000',
  userId: 'user-id-0000000000000',
  kind: 'cookie',
  tokenHash: hashSecret('x'),
  refreshHash: null,
  refreshGeneration: 0,
  refreshedAt: null,
  createdAt: new Date(1_000),
  lastSeenAt: new Date(2_000),
  expiresAt: new Date(3_000),
  email: 'A@x.io',
};

describe.runIf(TEST_REDIS_URL)('the Redis session cache', () => {
  const url = TEST_REDIS_URL!;
  let prefix: string;
  let raw: Redis;
  const opened: Array<{ close(): Promise<void> }> = [];

  async function open(redisUrl = url): Promise<RedisCache> {
    const redis = connectRedis(redisUrl, prefix);
    const cache = new RedisCache(redis);
    opened.push(cache);
    await waitForRedis(redis, 2_000);
    return cache;
  }

  /** Deletes every key of this test: what a FLUSHALL would do to Sesame's part of Redis. */
  async function flush(): Promise<void> {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
  }

  beforeEach(() => {
    prefix = testKeyPrefix();
    raw = new Redis(url);
  });
  afterEach(async () => {
    await flush();
    raw.disconnect();
    await Promise.all(opened.splice(0).map((cache) => cache.close()));
  });

  it('caches a session for a minute under its prefix, dates included', async () => {
    const cache = await open();
    expect(await cache.get('k')).toBeNull();
    await cache.put('k', session);
    expect(await cache.get('k')).toEqual(session);
    const ttl = await raw.pttl(`${prefix}k`);
    expect(ttl).toBeGreaterThan(55_000);
    expect(ttl).toBeLessThanOrEqual(60_000);
  });

  it('never lets a put or an update bring back a session marked ended', async () => {
    const cache = await open();
    await cache.put('k', session);
    await cache.markEnded(['k', 'other']);
    expect(await cache.get('k')).toBe('ended');
    await cache.put('k', session);
    await cache.update('k', session);
    expect(await cache.get('k')).toBe('ended');
    expect(await cache.get('other')).toBe('ended');
    expect(await raw.pttl(`${prefix}k`)).toBeGreaterThan(60_000);
  });

  it('updates a cached session but never creates one', async () => {
    const cache = await open();
    await cache.update('absent', session);
    expect(await cache.get('absent')).toBeNull();
    await cache.put('k', session);
    const later = { ...session, lastSeenAt: new Date(2_500) };
    await cache.update('k', later);
    expect(await cache.get('k')).toEqual(later);
  });

  it('fails fast, as unavailable, when Redis cannot be reached', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(url).port || 6379));
    const cache = await open(proxy.through(url));
    await cache.put('k', session);
    await proxy.cut();
    const started = Date.now();
    await expect(cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
    await expect(cache.markEnded(['k'])).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(Date.now() - started).toBeLessThan(1_500);
    await proxy.restore();
    await expect.poll(() => cache.get('k').catch(() => 'down'), { timeout: 5_000 }).toEqual(session);
    await proxy.stop();
  });

  it('after a silent network loss, fails at once while Redis does not answer, and comes back by itself once it does', async () => {
    const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(url).port || 6379));
    try {
      const cache = await open(proxy.through(url));
      await cache.put('k', session);
      proxy.blackhole();
      const first = Date.now();
      await expect(cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(Date.now() - first).toBeLessThan(1_500);
      // The breaker is open: nothing waits on Redis.
      const skipped = Date.now();
      for (let check = 0; check < 20; check += 1) await expect(cache.get('k')).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(Date.now() - skipped).toBeLessThan(100);
      // The connection the blackhole swallowed is given up: a new one answers.
      await proxy.restore();
      await expect.poll(() => cache.get('k').catch(() => 'down'), { timeout: 5_000, interval: 100 }).toEqual(session);
      const answered = Date.now();
      for (let check = 0; check < 20; check += 1) expect(await cache.get('k')).toEqual(session);
      expect(Date.now() - answered).toBeLessThan(500);
    } finally {
      await proxy.stop();
    }
  });

  it('keeps the command and its keys out of the errors it raises', async () => {
    const cache = await open();
    await raw.hset(`${prefix}k`, 'field', 'value');
    const error = await cache.get('k').then(
      () => null,
      (failure: CacheUnavailableError) => failure,
    );
    expect(error).toBeInstanceOf(CacheUnavailableError);
    const cause = error!.cause as Error;
    expect(cause.message).toMatch(/WRONGTYPE/);
    expect(JSON.stringify(cause, Object.getOwnPropertyNames(cause))).not.toContain(prefix);
  });

  describe('shared by two instances on one database', () => {
    let a: AppHarness;
    let b: AppHarness;
    const form = { 'content-type': 'application/x-www-form-urlencoded' };

    beforeEach(async () => {
      const config = testConfig({ database: { engine: 'sqlite', path: tempDatabasePath() }, auth: { singleCookieSession: false } });
      a = await createAppHarness(config, await open());
      b = await createAppHarness(config, await open());
      await a.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=pw' });
    });
    afterEach(async () => {
      await a.close();
      await b.close();
    });

    async function logIn(instance: AppHarness): Promise<string> {
      const response = await instance.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=pw' });
      return sessionCookieOf(response)!;
    }

    const profile = (instance: AppHarness, cookie: string) =>
      instance.app.inject({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${cookie}` } }).then((response) => response.statusCode);

    it('refuses on one instance, at the next request, a session logged out on the other', async () => {
      const cookie = await logIn(a);
      expect(await profile(a, cookie)).toBe(200);
      expect(await profile(b, cookie)).toBe(200);
      expect(await raw.get(`${prefix}${cookieCacheKey(hashSecret(cookie))}`)).not.toBeNull();
      const logout = await b.app.inject({ method: 'DELETE', url: '/sessions', headers: { cookie: `session_id=${cookie}` } });
      expect(logout.statusCode).toBe(302);
      expect(await profile(a, cookie)).toBe(403);
    });

    it('refuses everywhere the sessions a password change on one instance ended', async () => {
      const kept = await logIn(a);
      const ended = await logIn(a);
      expect(await profile(a, ended)).toBe(200);
      const change = await b.app.inject({
        method: 'PUT',
        url: '/password',
        headers: { ...form, cookie: `session_id=${kept}` },
        payload: 'password=pw&new_password=new',
      });
      expect(change.statusCode).toBe(200);
      expect(await profile(a, ended)).toBe(403);
      expect(await profile(a, kept)).toBe(200);
    });

    it('keeps serving from the database while Redis is away: log-ins work, log-outs end the session and say 503', async () => {
      const proxy = await TcpProxy.start('127.0.0.1', Number(new URL(url).port || 6379));
      // One cookie session per user: a log-in during the outage replaces the earlier one.
      const c = await createAppHarness(testConfig({ database: a.config.database }), await open(proxy.through(url)));
      try {
        const first = await logIn(c);
        expect(await profile(c, first)).toBe(200);
        const grant = await c.app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=password&username=a%40x.io&password=pw' });
        const { access_token } = grant.json<{ access_token: string }>();
        await proxy.cut();
        expect(await profile(c, first)).toBe(200);
        const second = await logIn(c);
        expect(await profile(c, first)).toBe(403);
        expect(await profile(c, second)).toBe(200);

        const logout = await c.app.inject({ method: 'DELETE', url: '/sessions', headers: { cookie: `session_id=${second}` } });
        expect(logout.statusCode).toBe(503);
        expect(logout.json()).toEqual({ message: 'service unavailable, retry shortly' });
        expect(await profile(c, second)).toBe(403);

        // A password change cannot tell the cache which sessions it ends (the token session):
        // it changes nothing.
        const third = await logIn(c);
        const change = await c.app.inject({
          method: 'PUT',
          url: '/password',
          headers: { ...form, cookie: `session_id=${third}` },
          payload: 'password=pw&new_password=new',
        });
        expect(change.statusCode).toBe(503);
        expect((await c.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=pw' })).statusCode).toBe(200);
        const bearer = await c.app.inject({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${access_token}` } });
        expect(bearer.statusCode).toBe(200);

        await proxy.restore();
        await expect.poll(async () => (await logIn(c)) && (await raw.keys(`${prefix}*`)).length > 0, { timeout: 5_000 }).toBe(true);
      } finally {
        await c.close();
        await proxy.stop();
      }
    });

    it('never renews a cached copy of a session the store no longer has', async () => {
      const cookie = await logIn(a);
      expect(await profile(a, cookie)).toBe(200);
      // Ended behind the cache's back (as if a mark had been lost): the copy is stale...
      const session = await a.store.findSessionByTokenHash(hashSecret(cookie));
      await a.store.deleteSession(session!.id);
      expect(await profile(a, cookie)).toBe(200);
      // ...until its use is next recorded, at most a minute on, when the store says it is gone.
      a.clock.advanceSeconds(60);
      expect(await profile(a, cookie)).toBe(403);
      expect(await raw.get(`${prefix}${cookieCacheKey(hashSecret(cookie))}`)).toBe('ended');
      expect(await profile(b, cookie)).toBe(403);
    });

    it('gives the same answers after the cache is flushed', async () => {
      const live = await logIn(a);
      const gone = await logIn(a);
      await a.app.inject({ method: 'DELETE', url: '/sessions', headers: { cookie: `session_id=${gone}` } });
      await flush();
      expect(await profile(b, live)).toBe(200);
      expect(await profile(b, gone)).toBe(403);
    });
  });
});
