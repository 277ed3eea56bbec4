import type { FastifyInstance } from 'fastify';
import { afterEach } from 'vitest';
import { buildAdminApp, buildApp } from '../../src/app.js';
import { createAuth, type Auth } from '../../src/core/auth.js';
import { createPasswordHasher } from '../../src/core/password-hasher.js';
import { createLogger } from '../../src/logger.js';
import { PrometheusMetrics } from '../../src/metrics/prometheus-metrics.js';
import { openCache } from '../../src/store/open-store.js';
import { createTestDatabase, TEST_REDIS_URL, testKeyPrefix, type Engine, type TestDatabase } from './databases.js';
import { createHarness, type Harness } from './harness.js';
import { checkInjections } from './openapi-conformance.js';
import { testConfig, type ConfigOverrides } from './test-config.js';

export const METRICS_TOKEN = '3f5e0c0d8a1b4f7e9c2d6a8b0e1f3a5c7d9e1b3f5a7c9e1d';

export interface Rig {
  readonly harness: Harness;
  readonly database: TestDatabase | null;
  readonly auth: Auth;
  readonly metrics: PrometheusMetrics;
  readonly app: FastifyInstance;
  readonly adminApp: FastifyInstance | null;
}

// The rig of the running test, closed after it, with its database dropped.
let rig: Rig | undefined;
afterEach(async () => {
  await rig?.app.close();
  await rig?.adminApp?.close();
  await rig?.harness.close();
  await rig?.database?.drop();
  rig = undefined;
});

/** Where a rig's store and cache are: SQLite in a file, and no Redis, unless said. */
export interface Placement {
  readonly engine?: Engine;
  readonly withRedis?: boolean;
}

/**
 * Sesame's core and apps with the metrics on, wired as `sesame serve` wires them: /metrics on
 * the public port behind `METRICS_TOKEN`, or on the admin listener when there is one.
 */
export async function startMetricsRig(overrides: ConfigOverrides = {}, withAdminListener = false, { engine = 'sqlite', withRedis = false }: Placement = {}): Promise<Rig> {
  const database = engine === 'sqlite' ? null : await createTestDatabase(engine);
  const base = testConfig({ ...overrides, ...(database ? { database: database.config } : {}) });
  const config = {
    ...base,
    http: {
      ...base.http,
      metrics: overrides.http && 'metrics' in overrides.http ? (overrides.http.metrics ?? null) : (withAdminListener ? { listener: 'admin' as const, token: METRICS_TOKEN } : { listener: 'main' as const, token: METRICS_TOKEN }),
      admin: withAdminListener ? { listener: 'own' as const, hasToken: base.auth.adminToken !== null } : base.http.admin,
    },
  };
  const { cache, counters } = await openCache(withRedis ? { url: TEST_REDIS_URL!, keyPrefix: testKeyPrefix() } : null);
  const harness = await createHarness(config, cache, counters);
  const metrics = new PrometheusMetrics(
    { version: '0.0.0-test', commit: 'unknown', engine: config.database.engine, profile: config.profile },
    { redis: withRedis, deliveryChannel: config.webhook ? 'webhook' : config.email ? 'email' : null },
  );
  harness.store.timeStatementsIn(metrics.statements);
  const hasher = createPasswordHasher(config.hashing, metrics);
  const auth = createAuth({ ...harness.deps, hasher, metrics });
  metrics.readFrom({ hashing: () => hasher.load(), lockedAccounts: () => auth.lockedAccountsSeen(), store: () => harness.store.stats() });
  const logger = createLogger('silent');
  const app = await buildApp({ auth, logger, http: config.http, metrics });
  checkInjections(app);
  const adminApp = withAdminListener ? await buildAdminApp({ auth, logger, http: config.http, metrics }) : null;
  rig = { harness, database, auth, metrics, app, adminApp };
  return rig;
}
