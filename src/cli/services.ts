import { existsSync, readFileSync } from 'node:fs';
import { parseEnv } from 'node:util';
import type { Command } from 'commander';
import type { Logger } from 'pino';
import { ConfigError, loadConfig, type Config, type LoadedConfig } from '../config.js';
import { createAuth, type Auth } from '../core/auth.js';
import { noCache, type SessionCache } from '../core/cache.js';
import { systemClock } from '../core/clock.js';
import { createPasswordHasher } from '../core/password-hasher.js';
import { createOutbox } from '../core/outbox.js';
import { openKeyRing, type KeyRing } from '../core/signing-keys.js';
import { auditTo, createLogger, rootCause } from '../logger.js';
import type { PrometheusMetrics } from '../metrics/prometheus-metrics.js';
import { OutageLog } from '../outage-log.js';
import { LocalAttemptCounters } from '../store/cache/local-counters.js';
import { openCache, openStore, type EngineStore } from '../store/open-store.js';
import { version } from '../version.js';
import { openOutboxDestination, outboxKey } from './outbox-destination.js';
import { startDelivery, type Delivery } from './webhook-delivery.js';

export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;

/** The options every command takes; each overrides its environment variable. */
interface GlobalOptions {
  readonly host?: string;
  readonly port?: string;
  readonly database?: string;
}

/** What every command runs with: the configuration, the log and the migrated store. */
export interface Opened {
  readonly config: Config;
  readonly logger: Logger;
  readonly store: EngineStore;
  /** The migrations this run applied. */
  readonly applied: readonly string[];
  /** The log of the database's outages, which the metrics count in when serving. */
  readonly databaseOutages: OutageLog;
}

/** Where a command's log lines go: stdout, or stderr for a command whose stdout is its answer. */
export type LogOutput = 'stdout' | 'stderr';

/**
 * Runs `command`'s work with the configuration loaded and the store open and migrated, then
 * closes the store and sets the exit code: `use`'s result, 2 for invalid settings, 1 when
 * anything throws (logged with its root cause).
 */
export async function runCommand(command: Command, use: (opened: Opened) => Promise<number>, logOutput: LogOutput = 'stdout'): Promise<void> {
  process.exitCode = await run(command, use, logOutput);
}

/**
 * The configuration `command` runs with, from the environment, a `.env` file in the working
 * directory and its options; null, once every problem is written to stderr, when it is invalid.
 */
export function loadCommandConfig(command: Command): LoadedConfig | null {
  const options = command.optsWithGlobals<GlobalOptions>();
  try {
    return loadConfig({
      dotenv: existsSync('.env') ? parseEnv(readFileSync('.env', 'utf8')) : {},
      env: process.env,
      flags: { SESAME_HOST: options.host, SESAME_PORT: options.port, SESAME_DATABASE_URL: options.database },
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return null;
  }
}

async function run(command: Command, use: (opened: Opened) => Promise<number>, logOutput: LogOutput): Promise<number> {
  const loaded = loadCommandConfig(command);
  if (loaded === null) return EXIT_USAGE;
  const { config, warnings } = loaded;
  const logger = logOutput === 'stdout' ? createLogger(config.logLevel) : createLogger(config.logLevel, process.stderr);
  for (const warning of warnings) logger.warn(warning);

  const databaseOutages = new OutageLog(logger, 'database', systemClock);
  const store = await openStore(config.database, databaseOutages);
  try {
    const applied = await store.migrate();
    if (applied.length > 0) logger.info({ applied }, 'migrations applied');
    return await use({ config, logger, store, applied, databaseOutages });
  } catch (error) {
    logger.fatal({ err: error }, `${nameOf(command)} failed: ${rootCause(error)}`);
    return EXIT_FAILURE;
  } finally {
    await store.close();
  }
}

/** What the use cases run with, on top of the store. */
export interface Services extends Opened {
  readonly keys: KeyRing;
  readonly cache: SessionCache;
  readonly auth: Auth;
  /** The outbox relay, when serving with a webhook receiver or an SMTP server set. */
  readonly delivery: Delivery | null;
  /** The Prometheus metrics, when serving with them on (`http.metrics`). */
  readonly metrics: PrometheusMetrics | null;
}

/**
 * What a command does with the service's state: `serve` answers requests and sends to the
 * webhook receiver; `operate` changes users and sessions from the shell, so it uses Redis as
 * the servers do (a session it ends is marked ended there, counters it clears are theirs) and
 * leaves webhook messages in the outbox for the servers to deliver; `maintain` ends no live
 * session and checks no password, so it needs neither.
 */
export type ServiceUse = 'serve' | 'operate' | 'maintain';

/** Opens the signing keys and builds the `Auth` object for `use`. Whoever opens Redis (`serve`, `operate`) closes `cache`. */
export async function openServices(opened: Opened, use: ServiceUse): Promise<Services> {
  const { config, logger, store } = opened;
  const keys = await openKeyRing(store, systemClock, config.keys);
  for (const warning of keys.warnings) logger.warn(warning);
  const metrics = use === 'serve' && config.http.metrics !== null ? await createMetrics(config) : null;
  const cacheOutages = new OutageLog(logger, 'cache', systemClock);
  if (metrics) {
    opened.databaseOutages.countIn(metrics);
    cacheOutages.countIn(metrics);
    store.timeStatementsIn(metrics.statements);
  }
  const { cache, counters } = use === 'maintain' ? { cache: noCache, counters: null } : await openCache(config.cache, cacheOutages);
  const audit = auditTo(logger);
  const destination = use === 'serve' ? await openOutboxDestination(config, logger) : null;
  const delivery = destination ? startDelivery(destination, store, logger, audit, metrics ?? undefined) : null;
  const hasher = createPasswordHasher(config.hashing, metrics ?? undefined);
  // The servers' relays look at the outbox every second, so they send what this process leaves there.
  const key = use === 'operate' ? outboxKey(config) : null;
  const outbox = delivery?.outbox ?? (key ? createOutbox(key, () => undefined) : null);
  const auth = createAuth({
    store,
    clock: systemClock,
    hasher,
    keys,
    cache,
    counters: { shared: counters, local: new LocalAttemptCounters(config.localCounterEntries) },
    audit,
    outbox,
    config: config.auth,
    ...(metrics ? { metrics } : {}),
  });
  metrics?.readFrom({ hashing: () => hasher.load(), lockedAccounts: () => auth.lockedAccountsSeen(), store: () => store.stats() });
  return { ...opened, keys, cache, auth, delivery, metrics };
}

// prom-client is loaded only when metrics are on: some ten megabytes of memory otherwise idle.
async function createMetrics(config: Config): Promise<PrometheusMetrics> {
  const { PrometheusMetrics } = await import('../metrics/prometheus-metrics.js');
  return new PrometheusMetrics(
    { version, commit: config.buildCommit ?? 'unknown', engine: config.database.engine, profile: config.profile },
    { redis: config.cache !== null, deliveryChannel: config.webhook ? 'webhook' : config.email ? 'email' : null },
  );
}

/** A command's full name after `sesame`, such as `keys rotate`. */
export function nameOf(command: Command): string {
  const names: string[] = [];
  for (let current: Command | null = command; current?.parent; current = current.parent) names.unshift(current.name());
  return names.join(' ');
}
