import { CacheUnavailableError, type SessionCache } from '../../core/cache.js';
import type { SessionWithEmail } from '../../core/store.js';
import { withoutStatement } from '../sql/dialects.js';
import type { RedisLink } from './redis-connection.js';

// A cached session lives a minute, the touch interval: an entry never runs far behind the store.
const ENTRY_TTL_MS = 60_000;
// A mark outlasts any request that read the session from the store just before it ended.
const ENDED_TTL_MS = 120_000;
const ENDED = 'ended';

// Replaces a cached session only if one is cached and not marked ended: never creates an
// entry, and never extends one (KEEPTTL), so an entry lives at most a minute after it was read.
const UPDATE_IF_LIVE = `local current = redis.call('GET', KEYS[1])
if current and current ~= ARGV[2] then return redis.call('SET', KEYS[1], ARGV[1], 'KEEPTTL') end
return false`;

/** The session cache on Redis; closing it closes the connection it shares with the attempt counters. */
export class RedisCache implements SessionCache {
  readonly enabled = true;
  readonly entryLifetimeMs = ENTRY_TTL_MS;
  readonly #link: RedisLink;

  constructor(link: RedisLink) {
    this.#link = link;
  }

  async get(key: string): Promise<SessionWithEmail | 'ended' | null> {
    const value = await this.#link.run((redis) => redis.get(key));
    if (value === null) return null;
    return value === ENDED ? 'ended' : decode(value);
  }

  async put(key: string, session: SessionWithEmail): Promise<void> {
    // NX: a mark left by a session's end is never overwritten by a read that started before it.
    await this.#link.run((redis) => redis.set(key, encode(session), 'PX', ENTRY_TTL_MS, 'NX'));
  }

  async update(key: string, session: SessionWithEmail): Promise<void> {
    await this.#link.run((redis) => redis.eval(UPDATE_IF_LIVE, 1, key, encode(session), ENDED));
  }

  async markEnded(keys: readonly string[]): Promise<void> {
    const results = await this.#link.run((redis) => {
      const pipeline = redis.multi();
      for (const key of keys) pipeline.set(key, ENDED, 'PX', ENDED_TTL_MS);
      return pipeline.exec();
    });
    const failed = results?.find(([error]) => error !== null);
    if (!results || failed) throw new CacheUnavailableError('the cache did not take every mark', { cause: withoutStatement(failed?.[0]) });
  }

  async ping(): Promise<void> {
    await this.#link.run((redis) => redis.ping());
  }

  async close(): Promise<void> {
    this.#link.disconnect();
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
