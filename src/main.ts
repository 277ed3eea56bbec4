#!/usr/bin/env node
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs, parseEnv } from 'node:util';
import type { Logger } from 'pino';
import { buildApp } from './app.js';
import { ConfigError, loadConfig, type Config } from './config.js';
import { createAuth } from './core/auth.js';
import { systemClock } from './core/clock.js';
import { createPasswordHasher } from './core/passwords.js';
import { createLogger } from './logger.js';
import { schedulePurge } from './purge-schedule.js';
import { openStore, type EngineStore } from './store/open-store.js';

const USAGE = `Usage: sesame <command> [options]

Commands:
  serve      start the HTTP service (runs pending migrations first)
  migrate    apply pending database migrations
  gc         delete expired sessions and reset tokens

Options (each overrides its environment variable):
  --host <host>       SESAME_HOST           default 127.0.0.1
  --port <port>       SESAME_PORT           default 5000
  --database <url>    SESAME_DATABASE_URL   default sqlite:./data/sesame.db
  -h, --help          show this help

Settings come from SESAME_* environment variables, a .env file in the working
directory, and the options above; see README.md for the full list.`;

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
    process.stderr.write(`${(error as Error).message}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }
  const { values, positionals } = parsed;
  const [command, ...extra] = positionals;
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (command === undefined || extra.length > 0 || !['serve', 'migrate', 'gc'].includes(command)) {
    process.stderr.write(`${command === undefined ? 'No command given.' : `Unknown command: ${positionals.join(' ')}`}\n\n${USAGE}\n`);
    return EXIT_USAGE;
  }

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
    if (command === 'serve') return await serve(config, store, logger);
    if (command === 'gc') logger.info({ purged: await createAuthFor(config, store).purgeExpired() }, 'expired rows purged');
    await store.close();
    return 0;
  } catch (error) {
    logger.fatal({ err: error }, `${command} failed: ${rootCause(error)}`);
    await store.close();
    return EXIT_FAILURE;
  }
}

/** The innermost message of an error chain: what an operator needs to read first. */
function rootCause(error: unknown): string {
  let current = error;
  while (current instanceof Error && current.cause !== undefined) current = current.cause;
  return current instanceof Error ? current.message : String(current);
}

function createAuthFor(config: Config, store: EngineStore) {
  return createAuth({ store, clock: systemClock, hasher: createPasswordHasher(config.hashing), config: config.auth });
}

/** Runs the service until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests and closes the store. */
async function serve(config: Config, store: EngineStore, logger: Logger): Promise<number> {
  const auth = createAuthFor(config, store);
  const app = await buildApp({ auth, logger });
  await app.listen({ host: config.server.host, port: config.server.port });

  const stopPurging = schedulePurge(auth, config.gcIntervalSeconds, logger);

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ signal }, 'shutting down');
  stopPurging();
  const deadline = setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(EXIT_FAILURE);
  }, SHUTDOWN_GRACE_MS).unref();
  // Fastify stops accepting, answers 503 to new requests on open connections and waits for in-flight ones.
  await app.close();
  await store.close();
  clearTimeout(deadline);
  logger.info('stopped');
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
