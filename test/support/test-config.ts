import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Config } from '../../src/config.js';
import type { DatabaseConfig } from '../../src/store/open-store.js';

type Overrides<T> = { readonly [K in keyof T]?: T[K] extends readonly unknown[] ? T[K] : T[K] extends object ? Overrides<T[K]> : T[K] };
/** Settings to change; a database replaces the default one whole. */
export type ConfigOverrides = Omit<Overrides<Config>, 'database' | 'cache'> & { readonly database?: DatabaseConfig };

/** A fresh SQLite file in its own temporary folder. */
export function tempDatabasePath(): string {
  return join(mkdtempSync(join(tmpdir(), 'sesame-test-')), 'sesame.db');
}

/**
 * Configuration for tests: the compat defaults, a fresh SQLite file and a cheap argon2id cost
 * (the cost is a parameter of the hash, so every code path stays the same).
 */
export function testConfig(overrides: ConfigOverrides = {}): Config {
  const base: Config = {
    profile: 'compat',
    server: { host: '127.0.0.1', port: 0 },
    http: { trustProxy: [], proxyHeader: 'x-forwarded-for', cookie: { name: 'session_id', secure: 'auto' }, trustedOrigins: [], corsOrigins: [] },
    database: { engine: 'sqlite', path: tempDatabasePath() },
    cache: null,
    logLevel: 'silent',
    auth: {
      sessionIdleTimeoutSeconds: 86_400,
      sessionAbsoluteLifetimeSeconds: 2_592_000,
      singleCookieSession: true,
      resetTokenTtlSeconds: 3600,
      password: { minLength: 1, normalization: 'none', blocklist: false },
      resetTokenDelivery: 'response',
      issuer: 'https://sesame.test',
      audience: 'sesame',
      accessTokenTtlSeconds: 900,
      refreshGraceSeconds: 10,
      introspectionToken: null,
      // The defaults: tests that need tighter limits set them.
      limits: {
        windowSeconds: 900,
        accountClientFailures: 10,
        clientFailures: 100,
        accountFreeFailures: 5,
        accountMaxDelaySeconds: 900,
        accountFailures: 100,
        accountMemorySeconds: 86_400,
        resetRequests: 10,
        clientResetRequests: 100,
      },
    },
    hashing: { memoryKib: 64, iterations: 1, parallelism: 1, concurrency: 4, queueLimit: 1000 },
    keys: {
      algorithm: 'EdDSA',
      configuredSigningKeys: null,
      configuredRefreshKey: null,
      encryptionKey: null,
      accessTokenTtlSeconds: 900,
    },
    gcIntervalSeconds: 0,
    localCounterEntries: 100_000,
    webhook: null,
  };
  return {
    ...base,
    ...overrides,
    server: { ...base.server, ...overrides.server },
    http: { ...base.http, ...overrides.http, cookie: { ...base.http.cookie, ...overrides.http?.cookie } },
    database: overrides.database ?? base.database,
    auth: {
      ...base.auth,
      ...overrides.auth,
      password: { ...base.auth.password, ...overrides.auth?.password },
      limits: { ...base.auth.limits, ...overrides.auth?.limits },
    },
    hashing: { ...base.hashing, ...overrides.hashing },
    keys: { ...base.keys, ...overrides.keys },
  };
}
