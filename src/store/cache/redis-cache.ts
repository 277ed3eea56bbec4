import { Redis } from 'ioredis';
import { CacheUnavailableError, type SessionCache } from '../../core/cache.js';
import type { SessionWithEmail } from '../../core/store.js';
import { withoutStatement } from '../sql/dialects.js';

// A cached session lives a minute, the touch interval: an entry never runs far behind the store.
const ENTRY_TTL_MS = 60_000;
// A mark outlasts any request that read the session from the store just before it ended.
const ENDED_TTL_MS = 120_000;
const ENDED = 'ended';
// A command slower than this is given up on: the store answers instead.
const COMMAND_TIMEOUT_MS = 500;

// Replaces a cached session only if one is cached and not marked ended: never creates an
// entry, and never extends one (KEEPTTL), so an entry lives at most a minute after it was read.
const UPDATE_IF_LIVE = `local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[2] then return redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return false`;

/** The session cache on Redis, with every key under `keyPrefix`. */
export class RedisCache implements SessionCache {
  readonly enabled = true;
  readonly #redis: Redis;

  constructor(url: string, keyPrefix: string) {
    this.#redis = new Redis(url, {
      keyPrefix,
      // While disconnected, fail at once instead of queueing: the store answers meanwhile.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: COMMAND_TIMEOUT_MS,
      // Reconnect for ever, backing off to 2 s: the cache comes back by itself.
      retryStrategy: (times) => Math.min(times * 100, 2_000),
    });
    // Connection errors surface as failed commands; the event itself only needs a listener.
    this.#redis.on('error', () => undefined);
  }

  async get(key: string): Promise<SessionWithEmail | 'ended' | null> {
    const value = await this.#run(() => this.#redis.get(key));
    if (value === null) return null;
    return value === ENDED ? 'ended' : decode(value);
  }

  async put(key: string, session: SessionWithEmail): Promise<void> {
    // NX: a mark left by a session's end is never overwritten by a read that started before it.
    await this.#run(() => this.#redis.set(key, encode(session), 'PX', ENTRY_TTL_MS, 'NX'));
  }

  async update(key: string, session: SessionWithEmail): Promise<void> {
    await this.#run(() => this.#redis.eval(UPDATE_IF_LIVE, 1, key, encode(session), ENDED));
  }

  async markEnded(keys: readonly string[]): Promise<void> {
    const results = await this.#run(() => {
      const pipeline = this.#redis.multi();
      for (const key of keys) pipeline.set(key, ENDED, 'PX', ENDED_TTL_MS);
      return pipeline.exec();
    });
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw new CacheUnavailableError('the cache did not take every mark', { cause: withoutStatement(failed?.[0]) });
  }

  /**
   * Resolves once connected, or after `timeoutMs` when Redis cannot be reached: the cache then
   * keeps connecting in the background while the store answers.
   */
  async connected(timeoutMs: number): Promise<void> {
    if (this.#redis.status === 'ready') return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      new Promise<void>((resolve) => this.#redis.once('ready', () => resolve())),
      new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
    ]);
    clearTimeout(timer);
  }

  async close(): Promise<void> {
    this.#redis.disconnect();
  }

  async #run<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw new CacheUnavailableError('the cache is unavailable', { cause: withoutStatement(error) });
    }
  }
}

interface Encoded extends Omit<SessionWithEmail, 'createdAt' | 'lastSeenAt' | 'expiresAt' | 'refreshedAt'> {
  createdAt: number;
  lastSeenAt: number;
  expiresAt: number;
  refreshedAt: number | null;
}

function encode(session: SessionWithEmail): string {
  const encoded: Encoded = {
    ...session,
    createdAt: session.createdAt.getTime(),
    lastSeenAt: session.lastSeenAt.getTime(),
    expiresAt: session.expiresAt.getTime(),
    refreshedAt: session.refreshedAt?.getTime() ?? null,
  };
  return JSON.stringify(encoded);
}

function decode(value: string): SessionWithEmail {
  const encoded = JSON.parse(value) as Encoded;
  return {
    ...encoded,
    createdAt: new Date(encoded.createdAt),
    lastSeenAt: new Date(encoded.lastSeenAt),
    expiresAt: new Date(encoded.expiresAt),
    refreshedAt: encoded.refreshedAt === null ? null : new Date(encoded.refreshedAt),
  };
}
