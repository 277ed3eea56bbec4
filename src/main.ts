import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createAuth, type Auth } from './core/auth.js';
import { noCache, type SessionCache } from './core/cache.js';
import { systemClock } from './core/clock.js';
import { AuthError } from './core/errors.js';
import { createPasswordHasher } from './core/password-hasher.js';
import { KEY_RELOAD_INTERVAL_SECONDS, openKeyRing, type KeyRing } from './core/signing-keys.js';
import type { UserClaims } from './core/store.js';
import { auditTo, createLogger } from './logger.js';
import { HttpWebhook } from './delivery/http-webhook.js';
import { createOutbox, createOutboxRelay, outboxSealingKey, type Outbox } from './core/outbox.js';
import { repeatEvery, runWhenWoken } from './repeat.js';
import { LocalAttemptCounters } from './store/cache/local-counters.js';
import { openCache, openStore, type EngineStore } from './store/open-store.js';

const USAGE = `Usage: sesame <command> [options]

Commands:
  serve                        start the HTTP service (runs pending migrations first)
  migrate                      apply pending database migrations
  gc                           delete expired sessions and reset tokens
  keys rotate                  add a signing key: published at once, signing two minutes
                               later; older keys verify until their tokens have expired
  user claims <email> <json>   set the custom claims of a user's access tokens
                               (a JSON object; null removes them)

Options (each overrides its environment variable):
  --host <host>       SESAME_HOST           default 127.0.0.1
  --port <port>       SESAME_PORT           default 5000
  --database <url>    SESAME_DATABASE_URL   default sqlite:./data/sesame.db
  -h, --help          show this help

Settings come from SESAME_* environment variables, a .env file in the working
directory, and the options above; see README.md for the full list.`;

/** Each command and how many arguments it takes. */
const COMMANDS: Record<string, number> = { serve: 0, migrate: 0, gc: 0, 'keys rotate': 0, 'user claims': 2 };

// A shutdown that outlives this (a request stuck on a dead client) is cut short.
const SHUTDOWN_GRACE_MS = 10_000;

const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function main(argv: readonly string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...argv],
      allowPositionals: true,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        database: { type: 'string' },
        help: { type: 'boolean', short: 'h' },
      },
    });
  } catch (error) {
    return usageError((error as Error).message);
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const words = ['keys', 'user'].includes(positionals[0] ?? '') ? 2 : 1;
  const command = positionals.slice(0, words).join(' ');
  const args = positionals.slice(words);
  if (command === '') return usageError('No command given.');
  if (COMMANDS[command] !== args.length) return usageError(`Unknown command or wrong arguments: ${positionals.join(' ')}`);

  let loaded;
  try {
    loaded = loadConfig({
      dotenv: existsSync('.env') ? parseEnv(readFileSync('.env', 'utf8')) : {},
      env: process.env,
      flags: { SESAME_HOST: values.host, SESAME_PORT: values.port, SESAME_DATABASE_URL: values.database },
    });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_USAGE;
  }
  const { config, warnings } = loaded;
  const logger = createLogger(config.logLevel);
  for (const warning of warnings) logger.warn(warning);

  const store = await openStore(config.database);
  try {
    const applied = await store.migrate();
    if (applied.length > 0 || command === 'migrate') {
      logger.info({ applied }, applied.length > 0 ? 'migrations applied' : 'database is up to date');
    }
    if (command === 'migrate') return await closing(store, 0);
    const keys = await openKeyRing(store, systemClock, config.keys);
    for (const warning of keys.warnings) logger.warn(warning);
    // The other commands end no live session and check no password, so they need no Redis,
    // and send nothing to the webhook receiver.
    const { cache, counters } = command === 'serve' ? await openCache(config.cache) : { cache: noCache, counters: null };
    const delivery = command === 'serve' && config.webhook ? startDelivery(config.webhook, store, logger) : null;
    const auth = createAuth({
      store,
      clock: systemClock,
      hasher: createPasswordHasher(config.hashing),
      keys,
      cache,
      counters: { shared: counters, local: new LocalAttemptCounters(config.localCounterEntries) },
      audit: auditTo(logger),
      outbox: delivery?.outbox ?? null,
      config: config.auth,
    });
    switch (command) {
      case 'serve':
        return await serve(config, { store, cache, keys, auth, delivery }, logger);
      case 'gc':
        logger.info({ purged: await auth.purgeExpired() }, 'expired rows purged');
        return await closing(store, 0);
      case 'keys rotate': {
        const { kid, signsFrom } = await keys.rotate();
        logger.info({ kid, signsFrom }, 'signing key added: published now, signing from signsFrom');
        return await closing(store, 0);
      }
      default:
        return await closing(store, await setClaims(auth, logger, args[0]!, args[1]!));
    }
  } catch (error) {
    logger.fatal({ err: error }, `${command} failed: ${rootCause(error)}`);
    return closing(store, EXIT_FAILURE);
  }
}

function usageError(problem: string): number {
  process.stderr.write(`${problem}\n\n${USAGE}\n`);
  return EXIT_USAGE;
}

async function closing(store: EngineStore, code: number): Promise<number> {
  await store.close();
  return code;
}

async function setClaims(auth: Auth, logger: Logger, email: string, json: string): Promise<number> {
  let claims: unknown;
  try {
    claims = JSON.parse(json);
  } catch {
    claims = undefined;
  }
  if (claims === undefined || (claims !== null && (typeof claims !== 'object' || Array.isArray(claims)))) {
    return usageError('The claims must be a JSON object, or null to remove them.');
  }
  try {
    await auth.setUserClaims(email, claims as UserClaims | null);
  } catch (error) {
    if (!(error instanceof AuthError)) throw error;
    process.stderr.write(`${error.message}\n`);
    return EXIT_FAILURE;
  }
  logger.info({ email }, claims === null ? 'claims removed' : 'claims set');
  return 0;
}

/** The innermost message of an error chain: what an operator needs to read first. */
function rootCause(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

interface Delivery {
  readonly outbox: Outbox;
  idle(): Promise<void>;
  stop(): void;
}

// How often the outbox is checked for retries and for messages other instances left.
const DELIVERY_INTERVAL_MS = 1000;
// How long a shutdown waits for deliveries in flight, well within SHUTDOWN_GRACE_MS.
const DELIVERY_DRAIN_MS = 3000;

/**
 * Starts delivering the outbox to the webhook receiver: at once when a message is written
 * (the outbox wakes the relay), and every second for retries and anything left by a crash.
 */
function startDelivery(webhook: NonNullable<Config['webhook']>, store: EngineStore, logger: Logger): Delivery {
  const key = outboxSealingKey(webhook.secret);
  const relay = createOutboxRelay({ store, clock: systemClock, transport: new HttpWebhook(webhook.url, webhook.secret), key });
  const runner = runWhenWoken(
    async () => {
      const report = await relay.deliverDue();
      if (report.delivered > 0) logger.info(report, 'webhook messages delivered');
      if (report.overdue > 0) logger.error(report, 'webhook messages undelivered for over a day; still retried every 10 minutes');
      else if (report.unreadable > 0) logger.error(report, 'webhook messages sealed under another SESAME_WEBHOOK_SECRET; left for an instance that has it');
      else if (report.failed > 0) logger.warn(report, 'webhook deliveries failed; they are retried with backoff');
    },
    (error) => logger.warn({ err: error }, 'webhook delivery round failed; it runs again shortly'),
  );
  const timer = setInterval(() => runner.wake(), DELIVERY_INTERVAL_MS).unref();
  runner.wake();
  return {
    outbox: createOutbox(key, () => runner.wake()),
    idle: () => runner.idle(),
    stop: () => {
      clearInterval(timer);
      relay.stop();
    },
  };
}

/** Runs the service until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests and closes the store. */
async function serve(
  config: Config,
  { store, cache, keys, auth, delivery }: { store: EngineStore; cache: SessionCache; keys: KeyRing; auth: Auth; delivery: Delivery | null },
  logger: Logger,
): Promise<number> {
  if (config.auth.introspectionToken === null) {
    logger.warn('SESAME_INTROSPECTION_TOKEN is not set: anyone who can reach Sesame may call /introspect');
  }
  const app = await buildApp({ auth, logger, http: config.http });
  await app.listen({ host: config.server.host, port: config.server.port });

  const stopPurging = repeatEvery(
    config.gcIntervalSeconds,
    async () => logger.info({ purged: await auth.purgeExpired() }, 'expired rows purged'),
    (error) => logger.warn({ err: error }, 'purge failed; it runs again at the next interval'),
  );
  const stopReloading = repeatEvery(
    KEY_RELOAD_INTERVAL_SECONDS,
    () => keys.reload(),
    (error) => logger.warn({ err: error }, 'reloading keys failed; the current ones stay in use'),
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ signal }, 'shutting down');
  stopPurging();
  stopReloading();
  delivery?.stop();
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(EXIT_FAILURE);
  }, SHUTDOWN_GRACE_MS).unref();
  // Fastify stops accepting, answers 503 to new requests on open connections and waits for in-flight ones.
  await app.close();
  // A delivery in flight may finish, within a bound: past it, its lease lapses and it is sent again.
  await Promise.race([delivery?.idle(), new Promise((resolve) => setTimeout(resolve, DELIVERY_DRAIN_MS).unref())]);
  await cache.close();
  await store.close();
  clearTimeout(deadline);
  logger.info('stopped');
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
