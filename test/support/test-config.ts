import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import type { DatabaseConfig } from '../../src/store/open-store.js';

type Overrides<T> = { readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Overrides<T[K]> : T[K] };
/** Settings to change; a database replaces the default one whole. */
export type ConfigOverrides = Omit<Overrides<Config>, 'database' | 'cache'> & { readonly database?: DatabaseConfig };

/** A fresh SQLite file in its own temporary folder. */
export function tempDatabasePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'sesame-test-')), 'sesame.db');
}

/**
 * How every test configuration differs from the defaults, as settings: a port the system picks,
 * no log, an issuer of its own, and a cheap argon2id cost (the cost is a parameter of the hash,
 * so every code path stays the same).
 */
const TEST_SETTINGS = {
  SESAME_PORT: '0',
  SESAME_LOG_LEVEL: 'silent',
  SESAME_ISSUER: 'https://sesame.test',
  SESAME_ARGON2_MEMORY_KIB: '64',
  SESAME_ARGON2_ITERATIONS: '1',
  // The same on every machine, and roomy: only a test that lowers them meets a 503.
  SESAME_HASH_CONCURRENCY: '4',
  SESAME_HASH_QUEUE_LIMIT: '1000',
  // No purge timer: a test purges when it means to.
  SESAME_GC_INTERVAL_SECONDS: '0',
} as const;

/**
 * Configuration for tests: what the real loader makes of `TEST_SETTINGS` and a fresh SQLite
 * file, then `overrides`.
 */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  const { config: base } = loadConfig({ env: { ...TEST_SETTINGS, SESAME_DATABASE_URL: `sqlite:${tempDatabasePath()}` } });
  return {
    ...base,
    ...overrides,
    server: { ...base.server, ...overrides.server },
    http: {
      ...base.http,
      ...overrides.http,
      cookie: { ...base.http.cookie, ...overrides.http?.cookie },
      authorizationServer: { ...base.http.authorizationServer, ...overrides.http?.authorizationServer },
    },
    database: overrides.database ?? base.database,
    auth: {
      ...base.auth,
      ...overrides.auth,
      password: { ...base.auth.password, ...overrides.auth?.password },
      limits: { ...base.auth.limits, ...overrides.auth?.limits },
      consoleSession: { ...base.auth.consoleSession, ...overrides.auth?.consoleSession },
    },
    hashing: { ...base.hashing, ...overrides.hashing },
    keys: { ...base.keys, ...overrides.keys },
  };
}

/**
 * Secrets for the settings the loader reads them from: fixed, and made by `openssl rand`
 * once, since the loader refuses a placeholder or a value with too little randomness.
 */
export const TEST_SECRETS = {
  SESAME_INTROSPECTION_TOKEN: 'c919d1f580a263e392c65037181584fd4166fdb3aaf7fb8619b23430515e25a7',
  SESAME_ADMIN_TOKEN: '9aeea017246d6e357535f15cac220f325080c0107349db5167d23aa71c18f051',
  SESAME_KEY_ENCRYPTION_KEY: '2c395c61dacd6616aa3ec63de5e528d2f62a6e1fe02db51de20e5dbfaecafec8',
  SESAME_REFRESH_KEY: 'f9a829580b36066d00b236035a7f6bc88879f8477f394416786176065c7ff5a5',
  SESAME_WEBHOOK_SECRET: 'whsec_UNO9u4yHWXzYposLwoGBzc8aV898Uy4HwdLFq3Ef1f4=',
} as const;

/** The problems `loadConfig` lists for `env`; throws when it loads. */
export function configProblems(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

/** The pages' configuration as SESAME_UI=true (and `env`) makes it, for `testConfig({ http: { ui } })`. */
export function testUiConfig(env: Record<string, string> = {}): NonNullable<Config['http']['ui']> {
  return loadConfig({ env: { SESAME_UI: 'true', ...env } }).config.http.ui!;
}
