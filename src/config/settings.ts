import { availableParallelism } from 'node:os';
import type { FromSchema } from 'json-schema-to-ts';

// Each setting is a flat JSON Schema: a whole number in a range, one of some strings, true or
// false, or a string (of a minimum length, matching a pattern). A setting without a default is
// optional. Two annotations of our own: `secret` keeps the value out of messages, and `message`
// says what a valid value looks like where the keywords cannot (every pattern needs one).
const integer = (minimum: number, maximum: number, fallback: number) => ({ type: 'integer', minimum, maximum, default: fallback }) as const;
const oneOf = <const T extends readonly string[]>(choices: T, fallback: T[number]) => ({ type: 'string', enum: choices, default: fallback }) as const;
const flag = (fallback: boolean) => ({ type: 'boolean', default: fallback }) as const;
interface TextOptions {
  readonly minLength?: number;
  readonly default?: string;
  readonly secret?: true;
}
const text = <const S extends TextOptions & ({ readonly pattern?: never } | { readonly pattern: string; readonly message: string })>(schema: S) =>
  ({ type: 'string', ...schema }) as const;

/**
 * Every setting, as environment variables. Defaults are the compat profile's. The schema is
 * also the documentation: docs/configuration.md's settings table lists these names.
 */
export const SETTINGS = {
  SESAME_PROFILE: oneOf(['compat', 'strict'], 'compat'),
  SESAME_HOST: text({ minLength: 1, default: '127.0.0.1' }),
  SESAME_PORT: integer(0, 65535, 5000),
  // A server URL may hold a password: its value is never echoed.
  SESAME_DATABASE_URL: text({ minLength: 1, default: 'sqlite:./data/sesame.db', secret: true }),
  SESAME_DATABASE_POOL_SIZE: integer(1, 1000, 10),
  SESAME_DATABASE_TIMEOUT_SECONDS: integer(1, 300, 10),
  SESAME_REDIS_URL: text({ minLength: 1, pattern: '^rediss?://', message: 'must be a redis:// or rediss:// URL', secret: true }),
  SESAME_REDIS_KEY_PREFIX: text({ default: 'sesame:' }),
  SESAME_LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  SESAME_SESSION_IDLE_TIMEOUT_SECONDS: integer(1, 31_536_000, 86_400),
  SESAME_SESSION_ABSOLUTE_LIFETIME_SECONDS: integer(1, 31_536_000, 2_592_000),
  SESAME_SINGLE_COOKIE_SESSION: flag(true),
  SESAME_RESET_TOKEN_TTL_SECONDS: integer(1, 86_400, 3600),
  SESAME_PASSWORD_MIN_LENGTH: integer(1, 1024, 1),
  SESAME_PASSWORD_NORMALIZATION: oneOf(['none', 'nfkc'], 'none'),
  SESAME_PASSWORD_BLOCKLIST: flag(false),
  SESAME_RESET_TOKEN_DELIVERY: oneOf(['response', 'webhook', 'email'], 'response'),
  // A receiver URL may carry a token of its own: its value is never echoed.
  SESAME_RESET_WEBHOOK_URL: text({ minLength: 1, secret: true }),
  SESAME_WEBHOOK_SECRET: text({ minLength: 1, secret: true }),
  // Email by SMTP (docs/email.md). The server URL may hold a password: its value is never echoed.
  SESAME_SMTP_URL: text({ minLength: 1, pattern: '^smtps?://', message: 'must be an smtp:// or smtps:// URL', secret: true }),
  SESAME_SMTP_USER: text({ minLength: 1 }),
  SESAME_SMTP_PASSWORD: text({ minLength: 1, secret: true }),
  SESAME_SMTP_CA_FILE: text({ minLength: 1 }),
  SESAME_SMTP_ALLOW_PLAINTEXT: flag(false),
  SESAME_SMTP_MAX_CONNECTIONS: integer(1, 100, 5),
  SESAME_EMAIL_FROM: text({ minLength: 1 }),
  // The link in a reset message may carry a token of a front end's own: never echoed.
  SESAME_RESET_URL: text({ minLength: 1, secret: true }),
  SESAME_EMAIL_TEMPLATES: text({ minLength: 1 }),
  SESAME_EMAIL_UNKNOWN_ADDRESS_NOTICE: flag(false),
  // An RFC 6265 cookie-name token.
  SESAME_COOKIE_NAME: text({
    pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
    message: "must be a cookie name: letters, digits and !#$%&'*+.^_`|~-",
    default: 'session_id',
  }),
  SESAME_COOKIE_SECURE: oneOf(['auto', 'always'], 'auto'),
  SESAME_ARGON2_MEMORY_KIB: integer(8, 4_194_304, 19_456),
  SESAME_ARGON2_ITERATIONS: integer(1, 64, 2),
  SESAME_ARGON2_PARALLELISM: integer(1, 16, 1),
  // A hash per thread of libuv's pool (one per core, set by sesame.cjs), and one more waiting
  // there, so that a thread that finishes starts the next hash without waiting for the event loop.
  SESAME_HASH_CONCURRENCY: integer(1, 256, availableParallelism() + 1),
  SESAME_HASH_QUEUE_LIMIT: integer(0, 1_000_000, 128),
  SESAME_GC_INTERVAL_SECONDS: integer(0, 86_400, 900),
  SESAME_ISSUER: text({ minLength: 1, default: 'sesame' }),
  SESAME_AUDIENCE: text({ minLength: 1, default: 'sesame' }),
  SESAME_ACCESS_TOKEN_TTL_SECONDS: integer(10, 86_400, 900),
  SESAME_REFRESH_GRACE_SECONDS: integer(0, 300, 10),
  SESAME_JWT_ALGORITHM: oneOf(['EdDSA', 'ES256', 'RS256'], 'EdDSA'),
  SESAME_SIGNING_KEY: text({ minLength: 1, secret: true }),
  SESAME_SIGNING_KEY_FILE: text({ minLength: 1 }),
  SESAME_REFRESH_KEY: text({ minLength: 1, secret: true }),
  SESAME_KEY_ENCRYPTION_KEY: text({ minLength: 1, secret: true }),
  // It travels as a Bearer token, so it must be an RFC 6750 b64token.
  SESAME_INTROSPECTION_TOKEN: text({
    minLength: 32,
    pattern: '^[A-Za-z0-9._~+/-]+=*$',
    message: 'must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding)',
    secret: true,
  }),
  // The admin API (docs/configuration.md#the-admin-api): its Bearer token, and its own listener.
  SESAME_ADMIN_TOKEN: text({
    minLength: 32,
    pattern: '^[A-Za-z0-9._~+/-]+=*$',
    message: 'must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding)',
    secret: true,
  }),
  // Prometheus metrics (docs/monitoring.md): on the admin listener when there is one, else at /metrics behind this token.
  SESAME_METRICS_TOKEN: text({
    minLength: 32,
    pattern: '^[A-Za-z0-9._~+/-]+=*$',
    message: 'must have at least 32 characters of A-Z a-z 0-9 - . _ ~ + / (then = padding)',
    secret: true,
  }),
  // The commit the build came from, for the build info series; a build script sets it.
  SESAME_BUILD_COMMIT: text({ pattern: '^[0-9a-f]{7,40}$', message: 'must be a git commit hash (7 to 40 lower-case hex digits)' }),
  SESAME_ADMIN_LISTEN: text({
    pattern: '^(\\[[0-9A-Fa-f:.]+\\]|[^\\s:\\[\\]]+):[0-9]{1,5}$',
    message: 'must be host:port, such as 127.0.0.1:5001 or [::1]:5001',
  }),
  // Comma-separated lists.
  SESAME_TRUST_PROXY: text({ default: '' }),
  SESAME_PROXY_HEADER: oneOf(['x-forwarded-for', 'forwarded'], 'x-forwarded-for'),
  SESAME_TRUSTED_ORIGINS: text({ default: '' }),
  SESAME_CORS_ORIGINS: text({ default: '' }),
  SESAME_DOCS_PAGE: flag(true),
  // The pages under /ui/ (docs/pages.md): on in compat, so a fresh start has pages a browser can use.
  SESAME_UI: flag(true),
  SESAME_UI_PRODUCT_NAME: text({ minLength: 1, default: 'Sesame' }),
  SESAME_UI_MESSAGES: text({ minLength: 1 }),
  SESAME_UI_STYLESHEET: text({ minLength: 1 }),
  // The admin console's sessions (docs/admin-console.md): short, since they can manage every user.
  SESAME_UI_ADMIN_IDLE_TIMEOUT_SECONDS: integer(60, 86_400, 900),
  SESAME_UI_ADMIN_LIFETIME_SECONDS: integer(60, 86_400, 3600),
  // Where browsers reach Sesame: the pages' reset link is built from it, never from a request's Host.
  SESAME_PUBLIC_URL: text({ minLength: 1, pattern: '^https?://', message: 'must be an http:// or https:// URL such as https://auth.example.com' }),
  // Which API families are served, comma-separated (docs/api-families.md).
  SESAME_APIS: text({ default: 'session,token' }),
  SESAME_UNKNOWN_ACCOUNT_AT_LOGIN: oneOf(['distinct', 'same'], 'distinct'),
  // Brute-force and stuffing limits (docs/security.md).
  SESAME_LIMIT_WINDOW_SECONDS: integer(1, 86_400, 900),
  SESAME_LIMIT_ACCOUNT_CLIENT_FAILURES: integer(1, 100, 10),
  SESAME_LIMIT_CLIENT_FAILURES: integer(1, 1_000_000, 100),
  SESAME_LIMIT_ACCOUNT_FREE_FAILURES: integer(1, 100, 5),
  SESAME_LIMIT_ACCOUNT_MAX_DELAY_SECONDS: integer(1, 86_400, 900),
  // NIST SP 800-63B-4 §3.2.2: at most 100 consecutive failures.
  SESAME_LIMIT_ACCOUNT_FAILURES: integer(1, 100, 100),
  SESAME_LIMIT_ACCOUNT_MEMORY_SECONDS: integer(60, 2_592_000, 86_400),
  SESAME_LIMIT_RESET_REQUESTS: integer(2, 1_000_000, 10),
  SESAME_LIMIT_CLIENT_RESET_REQUESTS: integer(2, 1_000_000, 100),
  // Registrations, and refresh and reset tokens that turned out bad, per client address and window.
  SESAME_LIMIT_CLIENT_REGISTRATIONS: integer(1, 1_000_000, 50),
  SESAME_LIMIT_CLIENT_REFRESH_FAILURES: integer(1, 1_000_000, 50),
  SESAME_LIMIT_CLIENT_RESET_TOKEN_FAILURES: integer(1, 1_000_000, 20),
  SESAME_LIMIT_LOCAL_ENTRIES: integer(1000, 100_000_000, 100_000),
} as const;

/** Every setting as one JSON Schema object: what the loader validates. */
export const SETTINGS_SCHEMA = { type: 'object', properties: SETTINGS, additionalProperties: false } as const;

/** The settings once valid: a setting with a default is always there; one without may be absent. */
export type Settings = FromSchema<typeof SETTINGS_SCHEMA>;
export type SettingName = keyof typeof SETTINGS;

/**
 * The strict profile's defaults (DESIGN.md §2), where they differ from compat's. Each is still
 * a setting of its own: an explicit value wins over the profile.
 */
export const STRICT_DEFAULTS: Partial<Settings> = {
  SESAME_RESET_TOKEN_DELIVERY: 'webhook',
  SESAME_SINGLE_COOKIE_SESSION: false,
  SESAME_PASSWORD_MIN_LENGTH: 15,
  SESAME_PASSWORD_BLOCKLIST: true,
  SESAME_PASSWORD_NORMALIZATION: 'nfkc',
  SESAME_COOKIE_NAME: '__Host-session_id',
  SESAME_COOKIE_SECURE: 'always',
  // ASVS 13.4.5: documentation is not exposed unless meant to be.
  SESAME_DOCS_PAGE: false,
  // ASVS 6.3.8: python-jwt-auth's 404 for an unknown email tells which accounts exist.
  SESAME_UNKNOWN_ACCOUNT_AT_LOGIN: 'same',
  // A hardened deployment serves no browser surface it did not ask for (issue 25).
  SESAME_UI: false,
};
