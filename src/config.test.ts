import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

function problemsOf(env: Record<string, string>): readonly string[] {
  try {
    loadConfig({ env });
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

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
    });
    expect(config.http).toEqual({
      trustProxy: [],
      proxyHeader: 'x-forwarded-for',
      cookie: { name: 'session_id', secure: 'auto' },
      trustedOrigins: [],
      corsOrigins: [],
    });
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
        SESAME_WEBHOOK_SECRET: `whsec_${Buffer.alloc(32, 9).toString('base64')}`,
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
        SESAME_REFRESH_KEY: 'ab'.repeat(32),
        SESAME_KEY_ENCRYPTION_KEY: Buffer.alloc(32, 7).toString('base64'),
        SESAME_INTROSPECTION_TOKEN: 'i'.repeat(32),
        SESAME_TRUST_PROXY: '10.0.0.0/8, loopback',
        SESAME_PROXY_HEADER: 'forwarded',
        SESAME_TRUSTED_ORIGINS: 'https://app.example.com',
        SESAME_CORS_ORIGINS: 'https://a.example.com,http://localhost:3000',
        SESAME_LIMIT_WINDOW_SECONDS: '60',
        SESAME_LIMIT_ACCOUNT_CLIENT_FAILURES: '3',
        SESAME_LIMIT_CLIENT_FAILURES: '30',
        SESAME_LIMIT_ACCOUNT_FREE_FAILURES: '2',
        SESAME_LIMIT_ACCOUNT_MAX_DELAY_SECONDS: '120',
        SESAME_LIMIT_ACCOUNT_FAILURES: '50',
        SESAME_LIMIT_ACCOUNT_MEMORY_SECONDS: '3600',
        SESAME_LIMIT_RESET_REQUESTS: '4',
        SESAME_LIMIT_CLIENT_RESET_REQUESTS: '40',
        SESAME_LIMIT_LOCAL_ENTRIES: '5000',
      },
    });
    expect(config.http).toEqual({
      trustProxy: ['10.0.0.0/8', 'loopback'],
      proxyHeader: 'forwarded',
      cookie: { name: '__Secure-sid', secure: 'always' },
      trustedOrigins: ['https://app.example.com'],
      corsOrigins: ['https://a.example.com', 'http://localhost:3000'],
    });
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
      introspectionToken: 'i'.repeat(32),
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
      },
    });
    expect(config.keys).toEqual({
      algorithm: 'ES256',
      configuredSigningKeys: '-----BEGIN PRIVATE KEY-----',
      configuredRefreshKey: Buffer.from('ab'.repeat(32), 'hex'),
      encryptionKey: Buffer.alloc(32, 7),
      accessTokenTtlSeconds: 300,
    });
    expect(config.hashing).toEqual({ memoryKib: 65_536, iterations: 3, parallelism: 2, concurrency: 3, queueLimit: 10 });
    expect(config.localCounterEntries).toBe(5000);
    expect(config.webhook).toEqual({ url: 'https://hooks.example.com/sesame', secret: Buffer.alloc(32, 9) });
    expect(config.gcIntervalSeconds).toBe(0);
  });

  it('lists every problem at once', () => {
    const problems = problemsOf({
      SESAME_PORT: '70000',
      SESAME_SINGLE_COOKIE_SESSION: 'yes',
      SESAME_LOG_LEVEL: 'loud',
      SESAME_SESSION_IDLE_TIMEOUT_SECONDS: '1.5',
    });
    expect(problems).toEqual([
      'SESAME_PORT: must be a whole number from 0 to 65535 (got "70000")',
      'SESAME_LOG_LEVEL: must be one of fatal, error, warn, info, debug, trace, silent (got "loud")',
      'SESAME_SESSION_IDLE_TIMEOUT_SECONDS: must be a whole number from 1 to 31536000 (got "1.5")',
      'SESAME_SINGLE_COOKIE_SESSION: must be true or false (got "yes")',
    ]);
  });

  it('lists problems across settings together with schema problems', () => {
    const problems = problemsOf({ SESAME_PORT: 'abc', SESAME_RESET_TOKEN_DELIVERY: 'webhook', SESAME_DATABASE_URL: 'db.example' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^SESAME_PORT: /);
    expect(problems[1]).toMatch(/^SESAME_DATABASE_URL: must be sqlite:/);
    expect(problems[2]).toBe('SESAME_RESET_TOKEN_DELIVERY: webhook needs SESAME_RESET_WEBHOOK_URL and SESAME_WEBHOOK_SECRET');
  });

  it('refuses a wildcard or malformed origin, a malformed proxy range, and more than NIST\'s 100 account failures', () => {
    const problems = problemsOf({
      SESAME_CORS_ORIGINS: '*',
      SESAME_TRUSTED_ORIGINS: 'https://app.example.com/login',
      SESAME_TRUST_PROXY: '10.0.0.0/99',
      SESAME_LIMIT_ACCOUNT_FAILURES: '101',
    });
    expect(problems).toEqual([
      'SESAME_LIMIT_ACCOUNT_FAILURES: must be a whole number from 1 to 100 (got "101")',
      'SESAME_TRUST_PROXY: must list IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated',
      'SESAME_TRUSTED_ORIGINS: each entry must be an origin such as https://app.example.com (no path); got https://app.example.com/login',
      'SESAME_CORS_ORIGINS: * is refused: answers carry credentials, so every origin must be listed',
    ]);
  });

  const strictSecrets = {
    SESAME_INTROSPECTION_TOKEN: 'i'.repeat(32),
    SESAME_KEY_ENCRYPTION_KEY: 'ab'.repeat(32),
    SESAME_RESET_WEBHOOK_URL: 'https://hooks.example.com/sesame',
    SESAME_WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
  };

  it('gives the strict profile its defaults (DESIGN.md §2)', () => {
    const { config } = loadConfig({ env: { SESAME_PROFILE: 'strict', ...strictSecrets } });
    expect(config.profile).toBe('strict');
    expect(config.auth).toMatchObject({
      resetTokenDelivery: 'webhook',
      singleCookieSession: false,
      password: { minLength: 15, normalization: 'nfkc', blocklist: true },
      introspectionToken: 'i'.repeat(32),
    });
    expect(config.http.cookie).toEqual({ name: '__Host-session_id', secure: 'always' });
    expect(config.keys.encryptionKey).toEqual(Buffer.from('ab'.repeat(32), 'hex'));
  });

  it('lets each knob be set on its own, in either profile', () => {
    const strict = loadConfig({ env: { SESAME_PROFILE: 'strict', ...strictSecrets, SESAME_PASSWORD_MIN_LENGTH: '20', SESAME_SINGLE_COOKIE_SESSION: 'true' } });
    expect(strict.config.auth.password.minLength).toBe(20);
    expect(strict.config.auth.singleCookieSession).toBe(true);
    const compat = loadConfig({ env: { SESAME_PASSWORD_BLOCKLIST: 'true', SESAME_COOKIE_SECURE: 'always' } });
    expect(compat.config.auth.password.blocklist).toBe(true);
    expect(compat.config.http.cookie).toEqual({ name: 'session_id', secure: 'always' });
  });

  it('refuses to start strict without the introspection token, the key-encryption key and the webhook, naming each', () => {
    expect(problemsOf({ SESAME_PROFILE: 'strict' })).toEqual([
      'SESAME_INTROSPECTION_TOKEN: required by the strict profile (/introspect must not be open); e.g. openssl rand -hex 32',
      'SESAME_KEY_ENCRYPTION_KEY: required by the strict profile (signing keys are encrypted at rest); e.g. openssl rand -hex 32',
      'SESAME_RESET_TOKEN_DELIVERY: webhook needs SESAME_RESET_WEBHOOK_URL and SESAME_WEBHOOK_SECRET',
    ]);
  });

  it('refuses a webhook secret that is not whsec_ and 24+ bytes, a URL without a secret, and a __Host- cookie that may not be Secure', () => {
    expect(problemsOf({ SESAME_RESET_WEBHOOK_URL: 'https://h.example', SESAME_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toEqual([
      'SESAME_WEBHOOK_SECRET: must be whsec_ followed by the base64 of 24 or more random bytes (value hidden); e.g. echo "whsec_$(openssl rand -base64 32)"',
    ]);
    expect(problemsOf({ SESAME_RESET_WEBHOOK_URL: 'https://h.example' })).toEqual([
      'SESAME_RESET_WEBHOOK_URL: set it and SESAME_WEBHOOK_SECRET together (every delivery is signed)',
    ]);
    expect(problemsOf({ SESAME_RESET_WEBHOOK_URL: 'https://user:pass@h.example', SESAME_WEBHOOK_SECRET: strictSecrets.SESAME_WEBHOOK_SECRET })).toEqual([
      'SESAME_RESET_WEBHOOK_URL: must be an http(s) URL without a user name or password (value hidden)',
    ]);
    expect(problemsOf({ ...strictSecrets, SESAME_PROFILE: 'strict', SESAME_RESET_WEBHOOK_URL: 'http://hooks.example.com/sesame' })).toEqual([
      'SESAME_RESET_WEBHOOK_URL: must be an http(s) URL without a user name or password, and https unless the receiver is on this machine (strict profile) (value hidden)',
    ]);
    expect(loadConfig({ env: { ...strictSecrets, SESAME_PROFILE: 'strict', SESAME_RESET_WEBHOOK_URL: 'http://127.0.0.1:8080/hooks' } }).config.webhook?.url).toBe(
      'http://127.0.0.1:8080/hooks',
    );
    expect(problemsOf({ SESAME_COOKIE_NAME: 'my cookie' })).toEqual([
      "SESAME_COOKIE_NAME: must be a cookie name: letters, digits and !#$%&'*+.^_`|~- (got \"my cookie\")",
    ]);
    expect(problemsOf({ SESAME_COOKIE_NAME: '__Host-sid' })).toEqual([
      'SESAME_COOKIE_NAME: browsers accept a __Host- cookie only when it is Secure: set SESAME_COOKIE_SECURE=always',
    ]);
  });

  it.each([
    ['sqlite:', /sqlite: needs a file path/],
    ['./sesame.db', /must be sqlite:<path>, postgres:\/\/user:password@host:port\/database or mysql:/],
    ['oracle://scott:tiger@db/orcl', /must be sqlite:<path>/],
    ['postgres://', /must be sqlite:<path>/],
  ])('refuses the database URL %s', (url, problem) => {
    const problems = problemsOf({ SESAME_DATABASE_URL: url });
    expect(problems).toEqual([expect.stringMatching(problem)]);
    expect(problems[0]).not.toContain('tiger');
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

  it('checks key settings without ever echoing a secret', () => {
    const problems = problemsOf({
      SESAME_KEY_ENCRYPTION_KEY: 'too-short-secret',
      SESAME_REFRESH_KEY: 'abcd',
      SESAME_INTROSPECTION_TOKEN: 'short-secret',
      SESAME_SIGNING_KEY_FILE: '/no/such/key.pem',
    });
    expect(problems).toEqual([
      'SESAME_INTROSPECTION_TOKEN: must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding) (value hidden)',
      'SESAME_SIGNING_KEY_FILE: no such file: /no/such/key.pem',
      'SESAME_KEY_ENCRYPTION_KEY: must be exactly 32 bytes of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32',
      'SESAME_REFRESH_KEY: must be at least 32 bytes of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32',
    ]);
    expect(problems.join('\n')).not.toMatch(/too-short-secret|short-secret|abcd/);
  });

  it('refuses an introspection token that could not travel as a Bearer token', () => {
    expect(problemsOf({ SESAME_INTROSPECTION_TOKEN: `${'a'.repeat(32)}@!#` })).toEqual([
      'SESAME_INTROSPECTION_TOKEN: must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding) (value hidden)',
    ]);
  });

  it('reads the signing key from a file, and refuses both a key and a file', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'sesame-key-')), 'key.pem');
    writeFileSync(file, 'PEM TEXT');
    expect(loadConfig({ env: { SESAME_SIGNING_KEY_FILE: file } }).config.keys.configuredSigningKeys).toBe('PEM TEXT');
    expect(problemsOf({ SESAME_SIGNING_KEY_FILE: file, SESAME_SIGNING_KEY: 'x' })).toEqual([
      'SESAME_SIGNING_KEY_FILE: set it or SESAME_SIGNING_KEY, not both',
    ]);
  });

  it('refuses an argon2 memory cost below 8 KiB per lane', () => {
    expect(problemsOf({ SESAME_ARGON2_MEMORY_KIB: '8', SESAME_ARGON2_PARALLELISM: '2' })).toEqual([
      'SESAME_ARGON2_MEMORY_KIB: argon2 needs at least 8 KiB per lane (SESAME_ARGON2_PARALLELISM)',
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
