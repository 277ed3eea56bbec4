import { Redis } from 'ioredis';
import { CacheUnavailableError } from '../../core/cache.js';
import { unreported, type AvailabilityReport } from '../availability.js';
import { withoutStatement } from '../sql/dialects.js';

// A command slower than this is given up on: the store (or this process's counters) answers instead.
const COMMAND_TIMEOUT_MS = 500;
// After a failure, commands are skipped this long before one is tried again.
const RETRY_AFTER_MS = 1_000;
// On disconnect, ioredis waits this long for its socket to close, even for a socket that
// already has (a refused connection): a start that fails would wait its default 2 s to exit.
const DISCONNECT_TIMEOUT_MS = 100;

/**
 * A Redis client for the session cache and the attempt counters, with every key under its
 * prefix, and a circuit breaker in front of it. Redis may come and go, and Sesame answers
 * without it meanwhile, as fast as with it:
 *
 * - nothing queues while disconnected, and it keeps reconnecting;
 * - a connection that stops answering without closing (a hung server, a middlebox that
 *   dropped it) is destroyed and made again after a command timed out on it, and an idle one
 *   is probed by TCP keep-alive: otherwise every later command would wait out its timeout on it;
 * - after a command failed for want of Redis, the breaker opens: commands fail at once,
 *   without waiting on Redis, for a second; then one command goes through as a probe (the
 *   others still fail at once), and the breaker closes as soon as one succeeds.
 */
export class RedisLink {
  readonly #redis: Redis;
  readonly #report: AvailabilityReport;
  // Open: when a command may be tried again; null while closed.
  #retryAtMs: number | null = null;
  #isProbing = false;

  constructor(redis: Redis, report: AvailabilityReport) {
    this.#redis = redis;
    this.#report = report;
  }

  get redis(): Redis {
    return this.#redis;
  }

  /** Runs a command; any failure is the cache being unavailable, with no command text in the cause. */
  async run<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    const isProbe = this.#retryAtMs !== null;
    if (isProbe && (this.#isProbing || Date.now() < this.#retryAtMs!)) throw new CacheUnavailableError('the cache is unavailable: skipped while it fails');
    this.#isProbing = isProbe;
    const mark = this.#report.mark();
    try {
      const result = await command(this.#redis);
      this.#answered();
      return result;
    } catch (error) {
      const failure = new CacheUnavailableError('the cache is unavailable', { cause: withoutStatement(error) });
      // Redis answered, with an error of the command's own: it is there.
      if (error instanceof Error && error.name === 'ReplyError') this.#answered();
      else this.#failed(failure, mark);
      throw failure;
    }
  }

  disconnect(): void {
    this.#redis.disconnect();
  }

  #answered(): void {
    this.#retryAtMs = null;
    this.#isProbing = false;
    this.#report.available();
  }

  #failed(failure: CacheUnavailableError, mark: number): void {
    this.#retryAtMs = Date.now() + RETRY_AFTER_MS;
    this.#isProbing = false;
    this.#report.unavailable(failure, mark);
  }
}

/** Connects to Redis at `url`, every key under `keyPrefix`; whether it answers goes to `report`. */
export function connectRedis(url: string, keyPrefix: string, report: AvailabilityReport = unreported): RedisLink {
  const redis = new Redis(url, {
    keyPrefix,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 0,
    commandTimeout: COMMAND_TIMEOUT_MS,
    // No answer this long after a command was written: the connection is destroyed and made again.
    socketTimeout: COMMAND_TIMEOUT_MS,
    connectTimeout: 2_000,
    keepAlive: 10_000,
    disconnectTimeout: DISCONNECT_TIMEOUT_MS,
    // Reconnect for ever, backing off to 2 s: the cache comes back by itself.
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  // Connection errors surface as failed commands; the event itself only needs a listener.
  redis.on('error', () => undefined);
  return new RedisLink(redis, report);
}

/**
 * Resolves once `link` is connected, or after `timeoutMs` when it cannot be reached: it then
 * keeps connecting in the background.
 */
export async function waitForRedis(link: RedisLink, timeoutMs: number): Promise<void> {
  const { redis } = link;
  if (redis.status === 'ready') return;
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    new Promise<void>((resolve) => redis.once('ready', () => resolve())),
    new Promise<void>((resolve) => (timer = setTimeout(resolve, timeoutMs))),
  ]);
  clearTimeout(timer);
}
