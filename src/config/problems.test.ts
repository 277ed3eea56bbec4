import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { configProblems, TEST_SECRETS } from '../../test/support/test-config.js';
import { loadConfig } from '../config.js';

describe('loadConfig, given invalid settings', () => {
  const strictSecrets = {
    SESAME_INTROSPECTION_TOKEN: TEST_SECRETS.SESAME_INTROSPECTION_TOKEN,
    SESAME_KEY_ENCRYPTION_KEY: TEST_SECRETS.SESAME_KEY_ENCRYPTION_KEY,
    SESAME_RESET_WEBHOOK_URL: 'https://hooks.example.com/sesame',
    SESAME_WEBHOOK_SECRET: TEST_SECRETS.SESAME_WEBHOOK_SECRET,
  };

  it('lists every problem at once', () => {
    const problems = configProblems({
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
    const problems = configProblems({ SESAME_PORT: 'abc', SESAME_RESET_TOKEN_DELIVERY: 'webhook', SESAME_DATABASE_URL: 'db.example' });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/^SESAME_PORT: /);
    expect(problems[1]).toMatch(/^SESAME_DATABASE_URL: must be sqlite:/);
    expect(problems[2]).toBe('SESAME_RESET_TOKEN_DELIVERY: webhook needs SESAME_RESET_WEBHOOK_URL and SESAME_WEBHOOK_SECRET');
  });

  it('refuses a wildcard or malformed origin, a malformed proxy range, and more than NIST\'s 100 account failures', () => {
    const problems = configProblems({
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

  it('refuses an API family SESAME_APIS does not know, an empty list, and a family listed twice', () => {
    expect(configProblems({ SESAME_APIS: 'session,oauth,flask' })).toEqual([
      'SESAME_APIS: unknown API oauth, flask; the APIs are session, token, python-jwt-auth, flask-jwt-course',
    ]);
    expect(configProblems({ SESAME_APIS: ' , ' })).toEqual(['SESAME_APIS: must list at least one of session, token, python-jwt-auth, flask-jwt-course']);
    expect(configProblems({ SESAME_APIS: 'token,token' })).toEqual(['SESAME_APIS: lists an API twice']);
    expect(configProblems({ SESAME_UNKNOWN_ACCOUNT_AT_LOGIN: 'maybe' })).toEqual(['SESAME_UNKNOWN_ACCOUNT_AT_LOGIN: must be one of distinct, same (got "maybe")']);
  });

  it('refuses to start strict without the introspection token, the key-encryption key and the webhook, naming each', () => {
    expect(configProblems({ SESAME_PROFILE: 'strict' })).toEqual([
      'SESAME_INTROSPECTION_TOKEN: required by the strict profile (/introspect must not be open); e.g. openssl rand -hex 32',
      'SESAME_KEY_ENCRYPTION_KEY: required by the strict profile (signing keys are encrypted at rest); e.g. openssl rand -hex 32',
      'SESAME_RESET_TOKEN_DELIVERY: webhook needs SESAME_RESET_WEBHOOK_URL and SESAME_WEBHOOK_SECRET',
    ]);
  });

  it('refuses a webhook secret that is not whsec_ and 24+ bytes, a URL without a secret, and a __Host- cookie that may not be Secure', () => {
    expect(configProblems({ SESAME_RESET_WEBHOOK_URL: 'https://h.example', SESAME_WEBHOOK_SECRET: 'whsec_c2hvcnQ=' })).toEqual([
      'SESAME_WEBHOOK_SECRET: must be whsec_ followed by the base64 of 24 or more random bytes (value hidden); e.g. echo "whsec_$(openssl rand -base64 32)"',
    ]);
    expect(configProblems({ SESAME_RESET_WEBHOOK_URL: 'https://h.example' })).toEqual([
      'SESAME_RESET_WEBHOOK_URL: set it and SESAME_WEBHOOK_SECRET together (every delivery is signed)',
    ]);
    expect(configProblems({ SESAME_RESET_WEBHOOK_URL: 'https://user:pass@h.example', SESAME_WEBHOOK_SECRET: strictSecrets.SESAME_WEBHOOK_SECRET })).toEqual([
      'SESAME_RESET_WEBHOOK_URL: must be an http(s) URL without a user name or password (value hidden)',
    ]);
    expect(configProblems({ ...strictSecrets, SESAME_PROFILE: 'strict', SESAME_RESET_WEBHOOK_URL: 'http://hooks.example.com/sesame' })).toEqual([
      'SESAME_RESET_WEBHOOK_URL: must be an http(s) URL without a user name or password, and https unless the receiver is on this machine (strict profile) (value hidden)',
    ]);
    expect(loadConfig({ env: { ...strictSecrets, SESAME_PROFILE: 'strict', SESAME_RESET_WEBHOOK_URL: 'http://127.0.0.1:8080/hooks' } }).config.webhook?.url).toBe(
      'http://127.0.0.1:8080/hooks',
    );
    expect(configProblems({ SESAME_COOKIE_NAME: 'my cookie' })).toEqual([
      "SESAME_COOKIE_NAME: must be a cookie name: letters, digits and !#$%&'*+.^_`|~- (got \"my cookie\")",
    ]);
    expect(configProblems({ SESAME_COOKIE_NAME: '__Host-sid' })).toEqual([
      'SESAME_COOKIE_NAME: browsers accept a __Host- cookie only when it is Secure: set SESAME_COOKIE_SECURE=always',
    ]);
  });

  it.each([
    ['sqlite:', /sqlite: needs a file path/],
    ['./sesame.db', /must be sqlite:<path>, postgres:\/\/user:password@host:port\/database or mysql:/],
    ['oracle://scott:tiger@db/orcl', /must be sqlite:<path>/],
    ['postgres://', /must be sqlite:<path>/],
  ])('refuses the database URL %s', (url, problem) => {
    const problems = configProblems({ SESAME_DATABASE_URL: url });
    expect(problems).toEqual([expect.stringMatching(problem)]);
    expect(problems[0]).not.toContain('tiger');
  });

  it('checks key settings without ever echoing a secret', () => {
    const problems = configProblems({
      SESAME_KEY_ENCRYPTION_KEY: 'too-short-key',
      SESAME_REFRESH_KEY: 'abcd',
      SESAME_INTROSPECTION_TOKEN: 'short-token',
      SESAME_SIGNING_KEY_FILE: '/no/such/key.pem',
    });
    expect(problems).toEqual([
      'SESAME_INTROSPECTION_TOKEN: must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding) (value hidden)',
      'SESAME_SIGNING_KEY_FILE: no such file: /no/such/key.pem',
      'SESAME_KEY_ENCRYPTION_KEY: must be exactly 32 bytes of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32',
      'SESAME_REFRESH_KEY: must be at least 32 bytes of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32',
    ]);
    expect(problems.join('\n')).not.toMatch(/too-short-key|short-token|abcd/);
  });

  it("refuses compose.yaml's placeholder secrets, as that file says Sesame does", () => {
    const compose = readFileSync(new URL('../../compose.yaml', import.meta.url), 'utf8');
    const placeholders = Object.fromEntries(
      [...compose.matchAll(/^ +(SESAME_(?:INTROSPECTION_TOKEN|KEY_ENCRYPTION_KEY)): (\S+)$/gm)].map(([, name, value]) => [name!, value!]),
    );
    expect(Object.keys(placeholders).sort()).toEqual(['SESAME_INTROSPECTION_TOKEN', 'SESAME_KEY_ENCRYPTION_KEY']);
    const problems = configProblems(placeholders);
    expect(problems).toEqual([
      'SESAME_INTROSPECTION_TOKEN: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. openssl rand -hex 32',
      // Too short to be a key before it is a placeholder.
      'SESAME_KEY_ENCRYPTION_KEY: must be exactly 32 bytes of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32',
    ]);
  });

  it('refuses every secret setting that is a placeholder or has too little randomness, naming no value', () => {
    const problems = configProblems({
      SESAME_INTROSPECTION_TOKEN: 'change-me-change-me-change-me-change-me',
      SESAME_KEY_ENCRYPTION_KEY: 'ab'.repeat(32),
      SESAME_REFRESH_KEY: '0123456789abcdef'.repeat(4),
      SESAME_RESET_WEBHOOK_URL: 'https://hooks.example.com/sesame',
      SESAME_WEBHOOK_SECRET: `whsec_${Buffer.alloc(24, 1).toString('base64')}`,
    });
    expect(problems).toEqual([
      'SESAME_INTROSPECTION_TOKEN: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. openssl rand -hex 32',
      'SESAME_WEBHOOK_SECRET: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. echo "whsec_$(openssl rand -base64 32)"',
      'SESAME_KEY_ENCRYPTION_KEY: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. openssl rand -hex 32',
      'SESAME_REFRESH_KEY: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. openssl rand -hex 32',
    ]);
    expect(problems.join('\n')).not.toMatch(/change-me|abab|0123|AQEB/);
  });

  it('refuses an introspection token that could not travel as a Bearer token', () => {
    expect(configProblems({ SESAME_INTROSPECTION_TOKEN: `${'a'.repeat(32)}@!#` })).toEqual([
      'SESAME_INTROSPECTION_TOKEN: must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding) (value hidden)',
    ]);
  });

  describe('the admin API', () => {
    const token = TEST_SECRETS.SESAME_ADMIN_TOKEN;
    const strict = { ...strictSecrets, SESAME_PROFILE: 'strict' };

    it('is off unless configured, on the main listener with a token, on its own with a listener', () => {
      expect(loadConfig({ env: {} }).config.http.admin).toBeNull();
      const onMain = loadConfig({ env: { SESAME_ADMIN_TOKEN: token } }).config;
      expect(onMain.http.admin).toEqual({ listener: 'main', hasToken: true });
      expect(onMain.adminServer).toBeNull();
      expect(onMain.auth.adminToken).toBe(token);
      const onOwn = loadConfig({ env: { SESAME_ADMIN_LISTEN: '127.0.0.1:5001' } }).config;
      expect(onOwn.http.admin).toEqual({ listener: 'own', hasToken: false });
      expect(onOwn.adminServer).toEqual({ host: '127.0.0.1', port: 5001 });
      expect(onOwn.auth.adminToken).toBeNull();
      expect(loadConfig({ env: { SESAME_ADMIN_LISTEN: '[::1]:0' } }).config.adminServer).toEqual({ host: '::1', port: 0 });
      expect(loadConfig({ env: { SESAME_ADMIN_LISTEN: 'localhost:5001' } }).config.http.admin).toEqual({ listener: 'own', hasToken: false });
      expect(loadConfig({ env: { SESAME_ADMIN_LISTEN: '0.0.0.0:5001', SESAME_ADMIN_TOKEN: token } }).config.adminServer).toEqual({ host: '0.0.0.0', port: 5001 });
    });

    it('refuses a listener other hosts can reach without the token', () => {
      for (const listen of ['0.0.0.0:5001', '[::]:5001', '10.1.2.3:5001', 'admin.internal:5001']) {
        expect(configProblems({ SESAME_ADMIN_LISTEN: listen }), listen).toEqual([
          `SESAME_ADMIN_LISTEN: ${listen} can be reached from other hosts, so the admin API there needs SESAME_ADMIN_TOKEN (or listen on 127.0.0.1 or [::1]); e.g. openssl rand -hex 32`,
        ]);
      }
    });

    it('refuses, in the strict profile, any admin API without the token, even on a loopback listener', () => {
      expect(configProblems({ ...strict, SESAME_ADMIN_LISTEN: '127.0.0.1:5001' })).toEqual([
        'SESAME_ADMIN_TOKEN: required by the strict profile whenever the admin API is on (SESAME_ADMIN_LISTEN is set); e.g. openssl rand -hex 32',
      ]);
      expect(loadConfig({ env: { ...strict, SESAME_ADMIN_LISTEN: '127.0.0.1:5001', SESAME_ADMIN_TOKEN: token } }).config.http.admin).toEqual({ listener: 'own', hasToken: true });
      expect(loadConfig({ env: { ...strict, SESAME_ADMIN_TOKEN: token } }).config.http.admin).toEqual({ listener: 'main', hasToken: true });
    });

    it('refuses a short, malformed or placeholder token without echoing it, and a malformed listener', () => {
      const problems = configProblems({ SESAME_ADMIN_TOKEN: 'short-admin-token', SESAME_ADMIN_LISTEN: '127.0.0.1' });
      expect(problems).toEqual([
        'SESAME_ADMIN_TOKEN: must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding) (value hidden)',
        'SESAME_ADMIN_LISTEN: must be host:port, such as 127.0.0.1:5001 or [::1]:5001 (got "127.0.0.1")',
      ]);
      expect(configProblems({ SESAME_ADMIN_TOKEN: 'replace-with-a-random-admin-token-please' })).toEqual([
        'SESAME_ADMIN_TOKEN: looks like a placeholder or has too little randomness, so it is refused (value hidden); e.g. openssl rand -hex 32',
      ]);
      expect(configProblems({ SESAME_ADMIN_LISTEN: '[12345::1]:5001' })).toEqual(['SESAME_ADMIN_LISTEN: [12345::1] is not an IPv6 address (got "[12345::1]:5001")']);
      expect(configProblems({ SESAME_ADMIN_LISTEN: '127.0.0.1:99999' })).toEqual(['SESAME_ADMIN_LISTEN: the port must be from 0 to 65535 (got "127.0.0.1:99999")']);
      expect(configProblems({ SESAME_ADMIN_LISTEN: '::1:5001' })).toEqual([
        'SESAME_ADMIN_LISTEN: must be host:port, such as 127.0.0.1:5001 or [::1]:5001 (got "::1:5001")',
      ]);
      expect(problems.join('\n')).not.toContain('short-admin-token');
    });
  });

  it('refuses an argon2 memory cost below 8 KiB per lane', () => {
    expect(configProblems({ SESAME_ARGON2_MEMORY_KIB: '8', SESAME_ARGON2_PARALLELISM: '2' })).toEqual([
      'SESAME_ARGON2_MEMORY_KIB: argon2 needs at least 8 KiB per lane (SESAME_ARGON2_PARALLELISM)',
    ]);
  });
});
