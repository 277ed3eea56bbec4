import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../src/app.js';
import type { Config } from '../../src/config.js';
import type { AttemptCounters } from '../../src/core/attempt-counters.js';
import type { AuditEvent, AuditLog } from '../../src/core/audit.js';
import { createAuth, type Auth } from '../../src/core/auth.js';
import type { AuthDeps } from '../../src/core/deps.js';
import { outboxKey } from '../../src/cli/outbox-destination.js';
import { createOutbox } from '../../src/core/outbox.js';
import { noCache, type SessionCache } from '../../src/core/cache.js';
import { createPasswordHasher, type PasswordHasher } from '../../src/core/password-hasher.js';
import { openKeyRing, type KeyRing } from '../../src/core/signing-keys.js';
import { createLogger } from '../../src/logger.js';
import { LocalAttemptCounters } from '../../src/store/cache/local-counters.js';
import { openStore, type EngineStore } from '../../src/store/open-store.js';
import { checkInjections } from './openapi-conformance.js';
import { TestClock } from './test-clock.js';
import { testConfig } from './test-config.js';

export interface Harness {
  readonly config: Config;
  readonly clock: TestClock;
  readonly store: EngineStore;
  readonly hasher: PasswordHasher;
  readonly keys: KeyRing;
  readonly cache: SessionCache;
  /** Every audit event recorded so far, in order. */
  readonly audited: Array<AuditEvent & { readonly client: string }>;
  /** What `auth` was built from, to build a variant of it. */
  readonly deps: AuthDeps;
  readonly auth: Auth;
  close(): Promise<void>;
}

/** The core on a real, migrated SQLite store with a movable clock; attempts are counted in-process unless `counters` are given. */
export async function createHarness(
  config: Config = testConfig(),
  cache: SessionCache = noCache,
  counters: AttemptCounters | null = null,
): Promise<Harness> {
  const clock = new TestClock();
  const store = await openStore(config.database);
  await store.migrate();
  const hasher = createPasswordHasher(config.hashing);
  const keys = await openKeyRing(store, clock, config.keys);
  const audited: Harness['audited'] = [];
  // Tests deliver the outbox themselves, with a relay over a transport of their own.
  const key = outboxKey(config);
  const outbox = key ? createOutbox(key, () => undefined) : null;
  const audit: AuditLog = (event) => audited.push(event);
  const deps: AuthDeps = {
    store,
    clock,
    hasher,
    keys,
    cache,
    counters: { shared: counters, local: new LocalAttemptCounters(config.localCounterEntries) },
    audit,
    outbox,
    config: config.auth,
  };
  const auth = createAuth(deps);
  return {
    config,
    clock,
    store,
    hasher,
    keys,
    cache,
    audited,
    deps,
    auth,
    close: async () => {
      await cache.close();
      await store.close();
    },
  };
}

export interface AppHarness extends Harness {
  readonly app: FastifyInstance;
}

/** The HTTP application over `createHarness`, for `inject()` tests; every answer is checked against its OpenAPI document. */
export async function createAppHarness(
  config: Config = testConfig(),
  cache: SessionCache = noCache,
  counters: AttemptCounters | null = null,
): Promise<AppHarness> {
  const harness = await createHarness(config, cache, counters);
  const app = await buildApp({ auth: harness.auth, logger: createLogger('silent'), http: config.http });
  checkInjections(app);
  return {
    ...harness,
    app,
    async close() {
      await app.close();
      await harness.close();
    },
  };
}

/** The `session_id` value a response sets, or null. */
export function sessionCookieOf(response: { cookies: Array<{ name: string; value: string }> }): string | null {
  return response.cookies.find((cookie) => cookie.name === 'session_id')?.value ?? null;
}
