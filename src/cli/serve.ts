import type { Command } from 'commander';
import type { FastifyInstance } from 'fastify';
import { buildAdminApp, buildApp } from '../app.js';
import { KEY_RELOAD_INTERVAL_SECONDS } from '../core/signing-keys.js';
import { repeatEvery } from '../repeat.js';
import { warnUnlessUnavailable } from '../outage-log.js';
import { EXIT_FAILURE, openServices, runCommand, type Services } from './services.js';

// A shutdown that outlives this (a request stuck on a dead client) is cut short.
const SHUTDOWN_GRACE_MS = 10_000;
// How long a shutdown waits for deliveries in flight, well within SHUTDOWN_GRACE_MS.
const DELIVERY_DRAIN_MS = 3000;

/** `sesame serve`. */
export function addServeCommand(program: Command): void {
  program
    .command('serve')
    .description('start the HTTP service (runs pending migrations first)')
    .action((_options: object, command: Command) => runCommand(command, async (opened) => serve(await openServices(opened, 'serve'))));
}

/**
 * Runs the service until SIGTERM or SIGINT, then stops accepting, finishes in-flight requests
 * and closes the cache; the caller closes the store, within the same grace period. Throws,
 * with the cache closed, when it cannot start listening.
 */
async function serve({ config, logger, cache, keys, auth, delivery, metrics }: Services): Promise<number> {
  if (config.auth.introspectionToken === null) {
    logger.warn('SESAME_INTROSPECTION_TOKEN is not set: anyone who can reach Sesame may call /introspect');
  }
  if (config.http.admin?.hasToken === false) {
    logger.warn('SESAME_ADMIN_TOKEN is not set: any process on this machine may manage users through the admin listener');
  }
  const apps: FastifyInstance[] = [];
  try {
    const app = await buildApp({ auth, logger, http: config.http, ...(metrics ? { metrics } : {}) });
    apps.push(app);
    await app.listen({ host: config.server.host, port: config.server.port });
    if (config.adminServer !== null) {
      const adminApp = await buildAdminApp({ auth, logger, http: config.http, ...(metrics ? { metrics } : {}) });
      apps.push(adminApp);
      // A copy: Fastify writes into the options it is given, and the configuration is frozen.
      await adminApp.listen({ ...config.adminServer });
    }
  } catch (error) {
    // What serving opened would keep the process alive, not listening: it must exit now.
    await Promise.all(apps.map((app) => app.close()));
    delivery?.stop();
    await cache.close();
    throw error;
  }

  const stopPurging = repeatEvery(
    config.gcIntervalSeconds,
    async () => logger.info({ purged: await auth.purgeExpired() }, 'expired rows purged'),
    warnUnlessUnavailable(logger, 'purge failed; it runs again at the next interval'),
  );
  const stopReloading = repeatEvery(
    KEY_RELOAD_INTERVAL_SECONDS,
    () => keys.reload(),
    warnUnlessUnavailable(logger, 'reloading keys failed; the current ones stay in use'),
  );

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
  });
  logger.info({ signal }, 'shutting down');
  stopPurging();
  stopReloading();
  delivery?.stop();
  // Still set when this returns, so that it covers the store's closing too; unreferenced, it keeps no process alive.
  setTimeout(() => {
    logger.error('shutdown took too long; exiting');
    process.exit(EXIT_FAILURE);
  }, SHUTDOWN_GRACE_MS).unref();
  // Fastify stops accepting, answers 503 to new requests on open connections and waits for in-flight ones.
  await Promise.all(apps.map((app) => app.close()));
  // A delivery in flight may finish, within a bound: past it, its lease lapses and it is sent again.
  await Promise.race([delivery?.idle(), new Promise((resolve) => setTimeout(resolve, DELIVERY_DRAIN_MS).unref())]);
  await cache.close();
  logger.info('stopped');
  return 0;
}
