import { Redis } from 'ioredis';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TEST_REDIS_URL, testKeyPrefix } from '../../test/support/databases.js';
import { deferred } from '../../test/support/deferred.js';
import { TcpProxy } from '../../test/support/tcp-proxy.js';
import { TestClock } from '../../test/support/test-clock.js';
import { testConfig } from '../../test/support/test-config.js';
import { RedisCache } from '../store/cache/redis-cache.js';
import { connectRedis, waitForRedis } from '../store/cache/redis-connection.js';
import { openStore, type EngineStore } from '../store/open-store.js';
import { CacheUnavailableError, cacheKeyOf } from './cache.js';
import { withSessionCache, type CachedStore } from './cached-store.js';
import { generateId } from './secrets.js';
import { newCookieSession, newTokenSession } from './sessions.js';
import type { Session, SessionRef, Store } from './store.js';

const NO_ORIGIN = { clientAddress: null, userAgent: null };

const policy = { sessionIdleTimeoutSeconds: 3600, sessionAbsoluteLifetimeSeconds: 86_400, singleCookieSession: true };
const password = { hash: 'not checked here', normalization: 'none' } as const;
const at = new Date('2026-01-01T00:00:00Z');

/** Which store writes end sessions, and the sessions each ends (found before it runs). */
type Ending = 'insertSession' | 'changePassword' | 'resetPassword' | 'deleteSession';

describe.runIf(TEST_REDIS_URL)('the store wrapped in the session cache', () => {
  const url = TEST_REDIS_URL!;
  let prefix: string;
  let raw: Redis;
  let engine: EngineStore;
  let userId: string;
  const closing: Array<() => Promise<unknown>> = [];
  const clock = new TestClock();

  /** What the cache held, at the moment the store was asked to end sessions, under each key. */
  let seenByStore: Array<{ write: Ending; marks: Record<string, string | null> }>;

  async function openCache(redisUrl = url): Promise<RedisCache> {
    const redis = connectRedis(redisUrl, prefix);
    const cache = new RedisCache(redis);
    closing.push(() => cache.close());
    await waitForRedis(redis, 2_000);
    return cache;
  }

  /** The engine's store, reading the cache (straight from Redis) each time a write that ends sessions reaches it. */
  function watchedStore(watched: readonly SessionRef[]): Store {
    return new Proxy(engine, {
      get(target, property: keyof Store) {
        const value: unknown = Reflect.get(target, property);
        if (typeof value !== 'function') return value;
        const method = (value as (...args: unknown[]) => Promise<unknown>).bind(target);
        if (!['insertSession', 'changePassword', 'resetPassword', 'deleteSession'].includes(property)) return method;
        return async (...args: unknown[]) => {
          const keys = watched.map(cacheKeyOf);
          const values = keys.length > 0 ? await raw.mget(...keys.map((key) => `${prefix}${key}`)) : [];
          seenByStore.push({ write: property as Ending, marks: Object.fromEntries(keys.map((key, i) => [key, values[i] ?? null])) });
          return method(...args);
        };
      },
    });
  }

  async function startSession(kind: 'cookie' | 'token' = 'cookie'): Promise<Session> {
    const { session } = kind === 'cookie' ? newCookieSession(userId, at, policy) : newTokenSession(userId, at, policy);
    await engine.insertSession(session, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: false, replacesTokenHash: null });
    return session;
  }

  const cached = (session: SessionRef) => raw.get(`${prefix}${cacheKeyOf(session)}`);
  const isStored = async (session: Session) => (await engine.findSessionById(session.id)) !== null;

  beforeEach(async () => {
    prefix = testKeyPrefix();
    raw = new Redis(url);
    engine = await openStore(testConfig().database);
    await engine.migrate();
    userId = generateId();
    await engine.insertUser({ id: userId, email: 'a@x.io', emailKey: 'a@x.io', password, passwordVersion: 0, claims: null, createdAt: at, updatedAt: at, disabledAt: null, lastLoginAt: null });
    seenByStore = [];
  });
  afterEach(async () => {
    const keys = await raw.keys(`${prefix}*`);
    if (keys.length > 0) await raw.del(...keys);
    raw.disconnect();
    await Promise.all(closing.splice(0).map((close) => close()));
    await engine.close();
  });

  describe('marks each session ended in the cache before the store ends it', () => {
    let kept: Session;
    let others: Session[];
    let store: CachedStore;

    beforeEach(async () => {
      kept = await startSession();
      others = [await startSession(), await startSession('token')];
      store = withSessionCache(watchedStore([kept, ...others]), await openCache(), clock);
      // Cached as live first, as a session check would leave them.
      for (const session of [kept, ...others]) expect(await readFor(store, session)).not.toBeNull();
    });

    it('on a log-out or a revocation', async () => {
      expect(await store.deleteSession(others[1]!)).toBe(true);
      expect(seenByStore.map((seen) => seen.write)).toEqual(['deleteSession']);
      expect(seenByStore[0]?.marks[cacheKeyOf(others[1]!)]).toBe('ended');
      expect(await readFor(store, others[1]!)).toBeNull();
      expect(await readFor(store, kept)).not.toBeNull();
    });

    it('on a password change, every session but the one it keeps', async () => {
      const ended = await store.changePassword(userId, 0, password, kept.id, at);
      expect(ended?.map((session) => session.id).sort()).toEqual(others.map((session) => session.id).sort());
      const [seen] = seenByStore;
      expect(seen?.write).toBe('changePassword');
      for (const other of others) expect(seen?.marks[cacheKeyOf(other)]).toBe('ended');
      expect(seen?.marks[cacheKeyOf(kept)]).not.toBe('ended');
      for (const other of others) expect(await readFor(store, other)).toBeNull();
      expect(await readFor(store, kept)).not.toBeNull();
    });

    it('on a password reset, every session of the user', async () => {
      await engine.saveResetToken({ userId, tokenHash: 'reset-hash', createdAt: at, expiresAt: new Date(at.getTime() + 60_000) });
      expect(await store.resetPassword(userId, 'reset-hash', password, at)).toHaveLength(3);
      const [seen] = seenByStore;
      for (const session of [kept, ...others]) expect(seen?.marks[cacheKeyOf(session)]).toBe('ended');
      for (const session of [kept, ...others]) expect(await readFor(store, session)).toBeNull();
    });

    it("on a cookie log-in, the user's other cookie sessions and the one it replaces, not the token sessions", async () => {
      const { session } = newCookieSession(userId, at, policy);
      await store.insertSession(session, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: true, replacesTokenHash: kept.tokenHash });
      const [seen] = seenByStore;
      expect(seen?.write).toBe('insertSession');
      expect(seen?.marks[cacheKeyOf(kept)]).toBe('ended');
      expect(seen?.marks[cacheKeyOf(others[0]!)]).toBe('ended');
      expect(seen?.marks[cacheKeyOf(others[1]!)]).not.toBe('ended');
      expect(await readFor(store, others[0]!)).toBeNull();
      expect(await readFor(store, others[1]!)).not.toBeNull();
    });

    it('and changes nothing when the store refuses the write', async () => {
      expect(await store.changePassword(userId, 7, password, kept.id, at)).toBeNull();
      expect(await store.resetPassword(userId, 'no such reset', password, at)).toBeNull();
      for (const session of [kept, ...others]) expect(await isStored(session)).toBe(true);
    });
  });

  it('never serves a session again once its end was acknowledged, even to a check that read it just before', async () => {
    const session = await startSession();
    const gate = deferred();
    const slowReads = new Proxy(engine, {
      get(target, property: keyof Store) {
        const value = Reflect.get(target, property) as (...args: unknown[]) => Promise<unknown>;
        if (property !== 'findSessionByTokenHash') return typeof value === 'function' ? value.bind(target) : value;
        return async (tokenHash: string) => {
          const found = await target.findSessionByTokenHash(tokenHash);
          await gate.promise;
          return found;
        };
      },
    });
    const cache = await openCache();
    const checking = withSessionCache(slowReads, cache, clock);
    const ending = withSessionCache(engine, cache, clock);

    const check = checking.readCookieSession(session.tokenHash!);
    expect(await ending.deleteSession(session)).toBe(true);
    gate.resolve();
    // The check read a live row, and answers with it; it cannot put it back in the cache.
    expect(await check).not.toBeNull();
    expect(await cached(session)).toBe('ended');
    expect(await withSessionCache(engine, cache, clock).readCookieSession(session.tokenHash!)).toBeNull();
  });

  it('marks a cached copy ended when recording its use finds the store no longer has it', async () => {
    const session = await startSession();
    const store = withSessionCache(engine, await openCache(), clock);
    const copy = await store.readCookieSession(session.tokenHash!);
    // Ended behind the cache's back, as if a mark had been lost.
    await engine.deleteSession(session.id);
    expect(await store.readCookieSession(session.tokenHash!)).not.toBeNull();
    expect(await store.touchSession(copy!, new Date(at.getTime() + 60_000))).toBe(false);
    expect(await cached(session)).toBe('ended');
    expect(await store.readCookieSession(session.tokenHash!)).toBeNull();
  });

  describe('while the cache cannot be reached', () => {
    let proxy: TcpProxy;
    let store: CachedStore;

    beforeEach(async () => {
      proxy = await TcpProxy.start('127.0.0.1', Number(new URL(url).port || 6379));
      closing.push(() => proxy.stop());
      store = withSessionCache(engine, await openCache(proxy.through(url)), clock);
      await proxy.cut();
    });

    it('refuses a password change or reset, changing nothing', async () => {
      const kept = await startSession();
      const other = await startSession();
      await engine.saveResetToken({ userId, tokenHash: 'reset-hash', createdAt: at, expiresAt: new Date(at.getTime() + 60_000) });
      await expect(store.changePassword(userId, 0, password, kept.id, at)).rejects.toBeInstanceOf(CacheUnavailableError);
      await expect(store.resetPassword(userId, 'reset-hash', password, at)).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(await isStored(other)).toBe(true);
      expect(await engine.findResetTokenByHash('reset-hash')).not.toBeNull();
      expect((await engine.findUserById(userId))?.passwordVersion).toBe(0);
    });

    it('ends a logged-out session in the store, then says the cache was not told', async () => {
      const session = await startSession();
      await expect(store.deleteSession(session)).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(await isStored(session)).toBe(false);
    });

    it('never serves from the cache a session it could not mark ended, and marks it once the cache answers', async () => {
      await proxy.restore();
      const session = await startSession();
      const check = () => store.readCookieSession(session.tokenHash!);
      // Cached as live, then lost in a silent network loss.
      await expect.poll(async () => (await check(), await cached(session)), { timeout: 5_000 }).not.toBeNull();
      proxy.blackhole();
      await expect(store.deleteSession(session)).rejects.toBeInstanceOf(CacheUnavailableError);
      expect(await cached(session)).not.toBe('ended');
      await proxy.restore();
      await expect
        .poll(
          async () => {
            expect(await check()).toBeNull();
            return cached(session);
          },
          { timeout: 10_000, interval: 100 },
        )
        .toBe('ended');
    });

    it('still logs in, ending the sessions it replaces, and serves checks from the store', async () => {
      const earlier = await startSession();
      const { session } = newCookieSession(userId, at, policy);
      const ended = await store.insertSession(session, { passwordVersion: 0, origin: NO_ORIGIN, endOtherCookieSessions: true, replacesTokenHash: null });
      expect(ended?.map((each) => each.id)).toEqual([earlier.id]);
      expect(await store.readCookieSession(session.tokenHash!)).toMatchObject({ id: session.id, email: 'a@x.io' });
      expect(await store.readCookieSession(earlier.tokenHash!)).toBeNull();
    });
  });
});

/** The session as a check reads it, through the cache. */
function readFor(store: CachedStore, session: Session) {
  return session.kind === 'cookie' ? store.readCookieSession(session.tokenHash!) : store.readTokenSession(session.id);
}
