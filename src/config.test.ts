import { MESSAGES } from './ui/messages.js';
import { STYLESHEET } from './ui/stylesheet.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configProblems, tempDatabasePath, TEST_SECRETS, testConfig } from '../test/support/test-config.js';
import { loadConfig } from './config.js';

describe('loadConfig', () => {
  it('defaults to the compat profile on SQLite at 127.0.0.1:5000', () => {
    const { config, warnings } = loadConfig({ env: {} });
    expect(warnings).toEqual([]);
    expect(config.profile).toBe('compat');
    expect(config.server).toEqual({ host: '127.0.0.1', port: 5000 });
    expect(config.database).toEqual({ engine: 'sqlite', path: './data/sesame.db' });
    expect(config.auth).toEqual({
      sessionIdleTimeoutSeconds: 86_400,
      sessionAbsoluteLifetimeSeconds: 2_592_000,
      singleCookieSession: true,
      resetTokenTtlSeconds: 3600,
      password: { minLength: 1, normalization: 'none', blocklist: false },
      resetTokenDelivery: 'response',
      issuer: 'sesame',
      audience: 'sesame',
      accessTokenTtlSeconds: 900,
      refreshGraceSeconds: 10,
      introspectionToken: null,
      adminToken: null,
      unknownAccountAtLogin: 'distinct',
      consoleSession: { idleTimeoutSeconds: 900, absoluteLifetimeSeconds: 3600 },
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
        clientRegistrations: 50,
        clientRefreshFailures: 50,
        clientResetTokenFailures: 20,
      },
    });
    expect(config.http).toEqual({
      trustProxy: [],
      proxyHeader: 'x-forwarded-for',
      cookie: { name: 'session_id', secure: 'auto' },
      trustedOrigins: [],
      corsOrigins: [],
      hasDocsPage: true,
      admin: null,
      metrics: null,
      authorizationServer: { issuer: 'sesame', isIntrospectionOpen: true },
      apis: ['session', 'token'],
      ui: { productName: 'Sesame', messages: MESSAGES, stylesheet: STYLESHEET, hasPasswordReset: false, passwordMinLength: 1 },
    });
    expect(config.adminServer).toBeNull();
    expect(config.webhook).toBeNull();
    expect(config.keys).toEqual({
      algorithm: 'EdDSA',
      configuredSigningKeys: null,
      configuredRefreshKey: null,
      encryptionKey: null,
      accessTokenTtlSeconds: 900,
    });
    expect(config.hashing).toMatchObject({ memoryKib: 19_456, iterations: 2, parallelism: 1, queueLimit: 128 });
    expect(config.gcIntervalSeconds).toBe(900);
  });

  it('lets flags override the environment, and the environment override .env', () => {
    const { config } = loadConfig({
      dotenv: { SESAME_PORT: '1111', SESAME_HOST: '0.0.0.0', SESAME_LOG_LEVEL: 'debug' },
      env: { SESAME_PORT: '2222', SESAME_HOST: '::1' },
      flags: { SESAME_PORT: '3333', SESAME_HOST: undefined },
    });
    expect(config.server).toEqual({ host: '::1', port: 3333 });
    expect(config.logLevel).toBe('debug');
  });

  it('reads every setting', () => {
    const { config } = loadConfig({
      env: {
        SESAME_DATABASE_URL: 'sqlite:///var/lib/sesame/db.sqlite',
        SESAME_SESSION_IDLE_TIMEOUT_SECONDS: '600',
        SESAME_SESSION_ABSOLUTE_LIFETIME_SECONDS: '7200',
        SESAME_SINGLE_COOKIE_SESSION: 'False',
        SESAME_RESET_TOKEN_TTL_SECONDS: '900',
        SESAME_PASSWORD_MIN_LENGTH: '15',
        SESAME_PASSWORD_NORMALIZATION: 'nfkc',
        SESAME_PASSWORD_BLOCKLIST: 'true',
        SESAME_RESET_TOKEN_DELIVERY: 'webhook',
        SESAME_RESET_WEBHOOK_URL: 'https://hooks.example.com/sesame',
        SESAME_WEBHOOK_SECRET: TEST_SECRETS.SESAME_WEBHOOK_SECRET,
        SESAME_COOKIE_NAME: '__Secure-sid',
        SESAME_COOKIE_SECURE: 'always',
        SESAME_ARGON2_MEMORY_KIB: '65536',
        SESAME_ARGON2_ITERATIONS: '3',
        SESAME_ARGON2_PARALLELISM: '2',
        SESAME_HASH_CONCURRENCY: '3',
        SESAME_HASH_QUEUE_LIMIT: '10',
        SESAME_GC_INTERVAL_SECONDS: '0',
        SESAME_ISSUER: 'https://auth.example.com',
        SESAME_AUDIENCE: 'api.example.com',
        SESAME_ACCESS_TOKEN_TTL_SECONDS: '300',
        SESAME_REFRESH_GRACE_SECONDS: '0',
        SESAME_JWT_ALGORITHM: 'ES256',
        SESAME_SIGNING_KEY: '-----BEGIN PRIVATE KEY-----',
        SESAME_REFRESH_KEY: TEST_SECRETS.SESAME_REFRESH_KEY,
        // As base64, where the others are hex.
        SESAME_KEY_ENCRYPTION_KEY: Buffer.from(TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY, 'hex').toString('base64'),
        SESAME_INTROSPECTION_TOKEN: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN,
        SESAME_ADMIN_TOKEN: TEST_SECRETS.SESAME_ADMIN_TOKEN,
        SESAME_ADMIN_LISTEN: '[::1]:5001',
        SESAME_TRUST_PROXY: '10.0.0.0/8, loopback',
        SESAME_PROXY_HEADER: 'forwarded',
        SESAME_TRUSTED_ORIGINS: 'https://app.example.com',
        SESAME_CORS_ORIGINS: 'https://a.example.com,http://localhost:3000',
        SESAME_DOCS_PAGE: 'false',
        SESAME_APIS: 'token, python-jwt-auth,flask-jwt-course',
        SESAME_UNKNOWN_ACCOUNT_AT_LOGIN: 'same',
        SESAME_LIMIT_WINDOW_SECONDS: '60',
        SESAME_LIMIT_ACCOUNT_CLIENT_FAILURES: '3',
        SESAME_LIMIT_CLIENT_FAILURES: '30',
        SESAME_LIMIT_ACCOUNT_FREE_FAILURES: '2',
        SESAME_LIMIT_ACCOUNT_MAX_DELAY_SECONDS: '120',
        SESAME_LIMIT_ACCOUNT_FAILURES: '50',
        SESAME_LIMIT_ACCOUNT_MEMORY_SECONDS: '3600',
        SESAME_LIMIT_RESET_REQUESTS: '4',
        SESAME_LIMIT_CLIENT_RESET_REQUESTS: '40',
        SESAME_LIMIT_CLIENT_REGISTRATIONS: '7',
        SESAME_LIMIT_CLIENT_REFRESH_FAILURES: '8',
        SESAME_LIMIT_CLIENT_RESET_TOKEN_FAILURES: '9',
        SESAME_LIMIT_LOCAL_ENTRIES: '5000',
        SESAME_UI: 'true',
        SESAME_UI_PRODUCT_NAME: 'Acme accounts',
        SESAME_UI_ADMIN_IDLE_TIMEOUT_SECONDS: '600',
        SESAME_UI_ADMIN_LIFETIME_SECONDS: '1800',
      },
    });
    expect(config.http).toEqual({
      trustProxy: ['10.0.0.0/8', 'loopback'],
      proxyHeader: 'forwarded',
      cookie: { name: '__Secure-sid', secure: 'always' },
      trustedOrigins: ['https://app.example.com'],
      corsOrigins: ['https://a.example.com', 'http://localhost:3000'],
      hasDocsPage: false,
      admin: { listener: 'own', hasToken: true },
      metrics: { listener: 'admin', token: null },
      authorizationServer: { issuer: expect.any(String) as unknown, isIntrospectionOpen: expect.any(Boolean) as unknown },
      apis: ['token', 'python-jwt-auth', 'flask-jwt-course'],
      ui: { productName: 'Acme accounts', messages: MESSAGES, stylesheet: STYLESHEET, hasPasswordReset: expect.any(Boolean) as unknown, passwordMinLength: expect.any(Number) as unknown },
    });
    expect(config.adminServer).toEqual({ host: '::1', port: 5001 });
    expect(config.database).toEqual({ engine: 'sqlite', path: '/var/lib/sesame/db.sqlite' });
    expect(config.auth).toEqual({
      sessionIdleTimeoutSeconds: 600,
      sessionAbsoluteLifetimeSeconds: 7200,
      singleCookieSession: false,
      resetTokenTtlSeconds: 900,
      password: { minLength: 15, normalization: 'nfkc', blocklist: true },
      resetTokenDelivery: 'webhook',
      issuer: 'https://auth.example.com',
      audience: 'api.example.com',
      accessTokenTtlSeconds: 300,
      refreshGraceSeconds: 0,
      introspectionToken: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN,
      adminToken: TEST_SECRETS.SESAME_ADMIN_TOKEN,
      unknownAccountAtLogin: 'same',
      consoleSession: { idleTimeoutSeconds: 600, absoluteLifetimeSeconds: 1800 },
      limits: {
        windowSeconds: 60,
        accountClientFailures: 3,
        clientFailures: 30,
        accountFreeFailures: 2,
        accountMaxDelaySeconds: 120,
        accountFailures: 50,
        accountMemorySeconds: 3600,
        resetRequests: 4,
        clientResetRequests: 40,
        clientRegistrations: 7,
        clientRefreshFailures: 8,
        clientResetTokenFailures: 9,
      },
    });
    expect(config.keys).toEqual({
      algorithm: 'ES256',
      configuredSigningKeys: '-----BEGIN PRIVATE KEY-----',
      configuredRefreshKey: Buffer.from(TEST_SECRETS.SESAME_REFRESH_KEY, 'hex'),
      encryptionKey: Buffer.from(TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY, 'hex'),
      accessTokenTtlSeconds: 300,
    });
    expect(config.hashing).toEqual({ memoryKib: 65_536, iterations: 3, parallelism: 2, concurrency: 3, queueLimit: 10 });
    expect(config.localCounterEntries).toBe(5000);
    expect(config.webhook).toEqual({ url: 'https://hooks.example.com/sesame', secret: Buffer.from(TEST_SECRETS.SESAME_WEBHOOK_SECRET.slice('whsec_'.length), 'base64') });
    expect(config.gcIntervalSeconds).toBe(0);
  });

  const strictSecrets = {
    SESAME_INTROSPECTION_TOKEN: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN,
    SESAME_KEY_ENCRYPTION_KEY: TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY,
    SESAME_RESET_WEBHOOK_URL: 'https://hooks.example.com/sesame',
    SESAME_WEBHOOK_SECRET: TEST_SECRETS.SESAME_WEBHOOK_SECRET,
  };

  it('gives the strict profile its defaults (DESIGN.md §2)', () => {
    const { config } = loadConfig({ env: { SESAME_PROFILE: 'strict', ...strictSecrets } });
    expect(config.profile).toBe('strict');
    expect(config.auth).toMatchObject({
      resetTokenDelivery: 'webhook',
      singleCookieSession: false,
      password: { minLength: 15, normalization: 'nfkc', blocklist: true },
      introspectionToken: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN,
    });
    expect(config.http.cookie).toEqual({ name: '__Host-session_id', secure: 'always' });
    expect(config.http.hasDocsPage).toBe(false);
    expect(config.keys.encryptionKey).toEqual(Buffer.from(TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY, 'hex'));
  });

  it('lets each knob be set on its own, in either profile', () => {
    const strict = loadConfig({ env: { SESAME_PROFILE: 'strict', ...strictSecrets, SESAME_PASSWORD_MIN_LENGTH: '20', SESAME_SINGLE_COOKIE_SESSION: 'true' } });
    expect(strict.config.auth.password.minLength).toBe(20);
    expect(strict.config.auth.singleCookieSession).toBe(true);
    expect(loadConfig({ env: { SESAME_PROFILE: 'strict', ...strictSecrets, SESAME_DOCS_PAGE: 'true' } }).config.http.hasDocsPage).toBe(true);
    const compat = loadConfig({ env: { SESAME_PASSWORD_BLOCKLIST: 'true', SESAME_COOKIE_SECURE: 'always' } });
    expect(compat.config.auth.password.blocklist).toBe(true);
    expect(compat.config.http.cookie).toEqual({ name: 'session_id', secure: 'always' });
  });

  it.each([
    ['postgres://sesame:secret@db:5432/sesame', 'postgres', 'postgres://sesame:secret@db:5432/sesame'],
    ['postgresql://db/sesame', 'postgres', 'postgresql://db/sesame'],
    ['mysql://root@127.0.0.1:3306/sesame', 'mysql', 'mysql://root@127.0.0.1:3306/sesame'],
    ['mariadb://root@127.0.0.1/sesame', 'mysql', 'mysql://root@127.0.0.1/sesame'],
  ])('reads the server URL %s', (url, engine, driverUrl) => {
    const { config } = loadConfig({ env: { SESAME_DATABASE_URL: url, SESAME_DATABASE_POOL_SIZE: '25' } });
    expect(config.database).toEqual({ engine, url: driverUrl, poolSize: 25, timeoutSeconds: 10 });
  });

  it('reads sqlite::memory: as an in-memory database', () => {
    expect(loadConfig({ env: { SESAME_DATABASE_URL: 'sqlite::memory:' } }).config.database).toEqual({
      engine: 'sqlite',
      path: ':memory:',
    });
  });

  it('reads the signing key from a file, and refuses both a key and a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sesame-key-')), 'key.pem');
    writeFileSync(file, 'PEM TEXT');
    expect(loadConfig({ env: { SESAME_SIGNING_KEY_FILE: file } }).config.keys.configuredSigningKeys).toBe('PEM TEXT');
    expect(configProblems({ SESAME_SIGNING_KEY_FILE: file, SESAME_SIGNING_KEY: 'x' })).toEqual([
      'SESAME_SIGNING_KEY_FILE: set it or SESAME_SIGNING_KEY, not both',
    ]);
  });

  it('warns about SESAME_ variables it does not know, and treats empty values as unset', () => {
    const { config, warnings } = loadConfig({ env: { SESAME_PROT: '80', SESAME_PORT: '', PATH: '/bin' } });
    expect(warnings).toEqual(['SESAME_PROT is not a setting of Sesame and is ignored']);
    expect(config.server.port).toBe(5000);
  });

  it('freezes the result', () => {
    const { config } = loadConfig({ env: {} });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.auth.password)).toBe(true);
  });
});

describe('testConfig', () => {
  it('is the loader\'s defaults but for a free port, no log, a test issuer, a cheap hash, no purge timer and a fresh SQLite file', () => {
    const { config: defaults } = loadConfig({ env: {} });
    expect(testConfig()).toEqual({
      ...defaults,
      server: { host: '127.0.0.1', port: 0 },
      database: { engine: 'sqlite', path: expect.stringMatching(/sesame-test-[^/]+\/sesame\.db$/) as unknown },
      logLevel: 'silent',
      auth: { ...defaults.auth, issuer: 'https://sesame.test' },
      http: { ...defaults.http, authorizationServer: { issuer: 'https://sesame.test', isIntrospectionOpen: true } },
      hashing: { memoryKib: 64, iterations: 1, parallelism: 1, concurrency: 4, queueLimit: 1000 },
      gcIntervalSeconds: 0,
    });
    expect(testConfig().database).not.toEqual(testConfig().database);
  });

  it('applies overrides inside each section, keeping the rest', () => {
    const database = { engine: 'sqlite', path: tempDatabasePath() } as const;
    const config = testConfig({ database, auth: { limits: { windowSeconds: 5 }, password: { minLength: 8 } }, http: { cookie: { secure: 'always' } } });
    expect(config.database).toBe(database);
    expect(config.auth.limits).toEqual({ ...testConfig().auth.limits, windowSeconds: 5 });
    expect(config.auth.password).toEqual({ minLength: 8, normalization: 'none', blocklist: false });
    expect(config.auth.issuer).toBe('https://sesame.test');
    expect(config.http.cookie).toEqual({ name: 'session_id', secure: 'always' });
  });
});

describe('the metrics settings', () => {
  const token = '3f5e0c0d8a1b4f7e9c2d6a8b0e1f3a5c7d9e1b3f5a7c9e1d';
  const metricsOf = (env: Record<string, string>) => loadConfig({ env }).config.http.metrics;

  it('are off unless a metrics token or an admin listener is set', () => {
    expect(metricsOf({})).toBeNull();
    expect(metricsOf({ SESAME_METRICS_TOKEN: token })).toEqual({ listener: 'main', token });
    expect(metricsOf({ SESAME_ADMIN_LISTEN: '127.0.0.1:5001' })).toEqual({ listener: 'admin', token: null });
    expect(metricsOf({ SESAME_ADMIN_LISTEN: '127.0.0.1:5001', SESAME_METRICS_TOKEN: token })).toEqual({ listener: 'admin', token });
  });

  it('refuse a short or placeholder token, one equal to the admin token, and a malformed commit', () => {
    expect(configProblems({ SESAME_METRICS_TOKEN: 'short' })).toEqual([expect.stringMatching(/^SESAME_METRICS_TOKEN: must have at least 32/)]);
    expect(configProblems({ SESAME_METRICS_TOKEN: 'x'.repeat(40) })).toEqual([expect.stringMatching(/^SESAME_METRICS_TOKEN: /)]);
    expect(configProblems({ SESAME_METRICS_TOKEN: TEST_SECRETS.SESAME_ADMIN_TOKEN, SESAME_ADMIN_TOKEN: TEST_SECRETS.SESAME_ADMIN_TOKEN })).toEqual([
      expect.stringMatching(/^SESAME_METRICS_TOKEN: must differ from SESAME_ADMIN_TOKEN/),
    ]);
    expect(configProblems({ SESAME_BUILD_COMMIT: 'main' })).toEqual([expect.stringMatching(/^SESAME_BUILD_COMMIT: /)]);
    expect(loadConfig({ env: { SESAME_BUILD_COMMIT: '7e8da54' } }).config.buildCommit).toBe('7e8da54');
  });
});
