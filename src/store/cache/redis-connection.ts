import { Redis } from 'ioredis';
import { CacheUnavailableError } from '../../core/cache.js';
import { withoutStatement } from '../sql/dialects.js';

// A command slower than this is given up on: the store (or this process's counters) answers instead.
const COMMAND_TIMEOUT_MS = 500;
// On disconnect, ioredis waits this long for its socket to close, even for a socket that
// already has (a refused connection): a start that fails would wait its default 2 s to exit.
const DISCONNECT_TIMEOUT_MS = 100;

/**
 * A Redis client for the session cache and the attempt counters, with every key under
 * `keyPrefix`. It never queues while disconnected and keeps reconnecting: Redis may come and
 * go, and Sesame answers without it meanwhile.
 */
export function connectRedis(url: string, keyPrefix: string): Redis {
  const redis = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    // Reconnect for ever, backing off to 2 s: the cache comes back by itself.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  // Connection errors surface as failed commands; the event itself only needs a listener.
  redis.on('error', () => undefined);
  return redis;
}

/**
 * Resolves once `redis` is connected, or after `timeoutMs` when it cannot be reached: it then
 * keeps connecting in the background.
 */
export async function waitForRedis(redis: Redis, timeoutMs: number): Promise<void> {
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => redis.once('ready', () => resolve())),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}

/** Runs a command; any failure is the cache being unavailable, with no command text in the cause. */
export async function runCommand<T>(command: () => Promise<T>): Promise<T> {
  try {
    return await command();
  } catch (error) {
    throw new CacheUnavailableError('the cache is unavailable', { cause: withoutStatement(error) });
  }
}
