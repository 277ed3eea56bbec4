import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { QueueLoad } from '../core/bounded-queues.js';
import type { DeliveryChannel, DeliveryOutcome, Flow, HashKind, Metrics } from '../core/metrics.js';
import type { StoreStats } from '../store/open-store.js';
import type { StatementTimings } from '../store/statement-timings.js';
import { RequestSeries } from './request-series.js';
import { StatementSeries } from './statement-series.js';

/** What the build info series says. */
export interface BuildInfo {
  readonly version: string;
  /** The commit built, when the build says (`SESAME_BUILD_COMMIT`); `unknown` otherwise. */
  readonly commit: string;
  readonly engine: 'sqlite' | 'postgres' | 'mysql';
  readonly profile: 'compat' | 'strict';
}

/**
 * What this configuration has: a series that cannot apply to it is absent, not a row of
 * zeros that reads as "all is well" (no Redis series without Redis, no pool gauge where the
 * driver does not tell, no email deliveries when the outbox goes to a webhook).
 */
export interface Applicable {
  /** Redis is configured: its look-ups and errors are counted. */
  readonly redis: boolean;
  /** Where the outbox relay delivers, or null when nothing does. */
  readonly deliveryChannel: DeliveryChannel | null;
}

// Every outcome a channel's delivery can have, shown at 0 from the start so that a rate sees the first one.
const DELIVERY_OUTCOMES: readonly DeliveryOutcome[] = ['delivered', 'failed', 'unreadable', 'rejected'];

/** What the gauges read when scraped. */
export interface MetricsReadings {
  hashing(): QueueLoad;
  lockedAccounts(): number;
  store(): Promise<StoreStats>;
}

// Seconds; argon2id at OWASP's cost takes tens of milliseconds per hash.
const HASH_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

/**
 * The Prometheus side of the metrics (docs/monitoring.md): the core's counts (`Metrics`), the
 * HTTP layer's per-request ones, the outage logs' dependency errors, and gauges read only at
 * scrape time. One registry per instance, so that tests and two apps never mix series.
 */
export class PrometheusMetrics implements Metrics {
  readonly registry = new Registry();
  readonly #requests = new RequestSeries();
  readonly #statements = new StatementSeries();
  readonly #applicable: Applicable;
  // Hot-path counts, plain numbers turned into series at scrape time.
  readonly #sharedCache = { hits: 0, misses: 0 };
  #readings: MetricsReadings | null = null;

  readonly #outcomes: Counter<'flow' | 'outcome' | 'reason'>;
  readonly #hashRefusals: Counter<'kind'>;
  readonly #hashDurations: Histogram<'kind'>;
  readonly #limitRefusals: Counter<'rule'>;
  readonly #deliveries: Counter<'channel' | 'outcome'>;
  readonly #dependencyErrors: Counter<'dependency'>;

  constructor(build: BuildInfo, applicable: Applicable) {
    const registers = [this.registry];
    this.#applicable = applicable;
    collectDefaultMetrics({ register: this.registry });
    this.registry.registerMetric(this.#requests.counter());
    this.registry.registerMetric(this.#requests.histogram());
    this.registry.registerMetric(this.#statements.histogram());
    new Gauge({ name: 'sesame_build_info', help: 'Always 1; the labels say what runs', labelNames: ['version', 'commit', 'engine', 'profile'], registers }).set({ ...build }, 1);
    this.#outcomes = new Counter({
      name: 'sesame_auth_outcomes_total',
      help: 'Log-ins, token grants and refreshes, registrations, resets and password changes, by outcome and reason',
      labelNames: ['flow', 'outcome', 'reason'],
      registers,
    });
    this.#hashRefusals = new Counter({ name: 'sesame_password_hashes_refused_total', help: 'Password hashes refused (503) because every slot and the queue were full', labelNames: ['kind'], registers });
    this.#hashDurations = new Histogram({ name: 'sesame_password_hash_duration_seconds', help: 'Time of one password hash, its wait for a slot excluded', labelNames: ['kind'], buckets: HASH_BUCKETS, registers });
    this.#limitRefusals = new Counter({ name: 'sesame_limit_refusals_total', help: 'Attempts refused by an attempt limit, by rule', labelNames: ['rule'], registers });
    this.#deliveries = new Counter({ name: 'sesame_outbox_deliveries_total', help: 'Outbox delivery attempts, by channel and outcome', labelNames: ['channel', 'outcome'], registers });
    this.#dependencyErrors = new Counter({ name: 'sesame_dependency_errors_total', help: 'Operations that failed because the database or Redis could not be reached in time', labelNames: ['dependency'], registers });
    for (const dependency of applicable.redis ? ['database', 'cache'] : ['database']) this.#dependencyErrors.inc({ dependency }, 0);
    if (applicable.deliveryChannel !== null) {
      for (const outcome of DELIVERY_OUTCOMES) this.#deliveries.inc({ channel: applicable.deliveryChannel, outcome }, 0);
    }
    this.#gauges(registers, build.engine);
  }

  /** Where the store tells how long its hot operations take (`sesame_db_statement_duration_seconds`). */
  get statements(): StatementTimings {
    return this.#statements;
  }

  /** Gives the gauges what they read; until then they show nothing. */
  readFrom(readings: MetricsReadings): void {
    this.#readings = readings;
  }

  /** The exposition text and its content type. */
  async scrape(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }

  outcome(flow: Flow, reason: string | null): void {
    const outcome = reason === null ? 'succeeded' : reason === 'unavailable' || reason === 'error' || reason === 'overloaded' ? 'failed' : 'refused';
    this.#outcomes.inc({ flow, outcome, reason: reason ?? 'none' });
  }

  hashRefused(kind: HashKind): void {
    this.#hashRefusals.inc({ kind });
  }

  hashed(kind: HashKind, seconds: number): void {
    this.#hashDurations.observe({ kind }, seconds);
  }

  limitRefused(rule: string): void {
    this.#limitRefusals.inc({ rule });
  }

  sharedCacheLookup(isHit: boolean): void {
    if (isHit) this.#sharedCache.hits += 1;
    else this.#sharedCache.misses += 1;
  }

  delivery(channel: DeliveryChannel, outcome: DeliveryOutcome): void {
    this.#deliveries.inc({ channel, outcome });
  }

  /** An operation failed because `dependency` (`database`, `cache`) could not be reached: told by its outage log. */
  dependencyFailed(dependency: string): void {
    this.#dependencyErrors.inc({ dependency });
  }

  /** A request completed (the HTTP layer's observer). */
  requestCompleted(method: string, route: string | undefined, status: number, seconds: number): void {
    this.#requests.record(method, route, status, seconds);
  }

  #gauges(registers: Registry[], engine: BuildInfo['engine']): void {
    const read = () => this.#readings;
    const sharedCache = this.#applicable.redis ? this.#sharedCache : null;
    new Gauge({
      name: 'sesame_password_hashes_in_flight',
      help: 'Password hashes holding a slot now',
      registers,
      collect() {
        const load = read()?.hashing();
        if (load) this.set(load.running);
      },
    });
    new Gauge({
      name: 'sesame_password_hashes_queued',
      help: 'Password hashes waiting for a slot now',
      registers,
      collect() {
        const load = read()?.hashing();
        if (load) this.set(load.waiting);
      },
    });
    new Gauge({
      name: 'sesame_locked_accounts',
      help: 'Accounts this instance refused as locked (hard limit) and has not seen unlocked since',
      registers,
      collect() {
        const readings = read();
        if (readings) this.set(readings.lockedAccounts());
      },
    });
    // One store read per scrape serves the four series that come from it.
    let stats: Promise<StoreStats | null> | null = null;
    const storeStats = (): Promise<StoreStats | null> => {
      stats ??= (read()?.store() ?? Promise.resolve(null)).finally(() => setImmediate(() => (stats = null)));
      return stats;
    };
    new Gauge({
      name: 'sesame_outbox_messages_waiting',
      help: 'Outbox messages not yet delivered',
      registers,
      async collect() {
        const outbox = (await storeStats())?.outbox;
        if (outbox) this.set(outbox.waiting);
      },
    });
    new Gauge({
      name: 'sesame_outbox_oldest_message_age_seconds',
      help: 'Age of the oldest undelivered outbox message; 0 when none waits',
      registers,
      async collect() {
        const outbox = (await storeStats())?.outbox;
        if (outbox) this.set(outbox.oldestCreatedAt === null ? 0 : Math.max(0, (Date.now() - outbox.oldestCreatedAt.getTime()) / 1000));
      },
    });
    // SQLite has no pool: one connection in the process.
    if (engine !== 'sqlite') {
      new Gauge({
        name: 'sesame_db_pool_connections_in_use',
        help: 'Database connections of the pool in use now (PostgreSQL, MySQL)',
        registers,
        async collect() {
          const inUse = (await storeStats())?.poolInUse;
          if (inUse !== null && inUse !== undefined) this.set(inUse);
        },
      });
    }
    // Looked up in SQLite's in-process copy, or in Redis: neither on a database server without Redis.
    if (engine !== 'sqlite' && sharedCache === null) return;
    new Counter({
      name: 'sesame_session_cache_lookups_total',
      help: 'Session look-ups in the in-process copy (memory, SQLite) and in Redis (redis), by result',
      labelNames: ['cache', 'result'],
      registers,
      async collect() {
        this.reset();
        const memory = (await storeStats())?.sessionCache;
        if (memory) {
          this.inc({ cache: 'memory', result: 'hit' }, memory.hits);
          this.inc({ cache: 'memory', result: 'miss' }, memory.misses);
        }
        if (sharedCache) {
          this.inc({ cache: 'redis', result: 'hit' }, sharedCache.hits);
          this.inc({ cache: 'redis', result: 'miss' }, sharedCache.misses);
        }
      },
    });
  }
}
