import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { HttpConfig } from './app.js';
import type { AuthConfig } from './core/deps.js';
import type { PasswordHashingConfig } from './core/password-hasher.js';
import type { KeyRingConfig } from './core/signing-keys.js';
import { compileProxyTrust } from './http/client-address.js';
import type { CacheConfig, DatabaseConfig } from './store/open-store.js';

// A setting is a flat JSON Schema: a whole number in a range, a string (of a minimum length,
// matching a pattern), one of some strings, or true/false; `optional` when it has no default.
// `secret` keeps its value out of messages; `message` says what a valid value looks like.
interface SettingSchema {
  readonly type?: 'integer' | 'string' | 'boolean';
  readonly enum?: readonly string[];
  readonly minimum?: number;
  readonly maximum?: number;
  readonly minLength?: number;
  readonly pattern?: string;
  readonly default?: unknown;
  readonly optional?: true;
  readonly secret?: true;
  readonly message?: string;
}
const integer = (minimum: number, maximum: number, fallback: number) => ({ type: 'integer', minimum, maximum, default: fallback }) as const;
const text = <const S extends Omit<SettingSchema, 'type' | 'enum'>>(schema: S) => ({ type: 'string', ...schema }) as const;
const oneOf = <const T extends readonly string[]>(choices: T, fallback: T[number]) => ({ enum: choices, default: fallback }) as const;
const flag = (fallback: boolean) => ({ type: 'boolean', default: fallback }) as const;
const optional = <const S extends SettingSchema>(schema: S) => ({ ...schema, optional: true }) as const;

/**
 * Every setting, as environment variables. Defaults are the compat profile's. The schema is
 * also the documentation: README's configuration table lists these names.
 */
const SETTINGS = {
  SESAME_PROFILE: oneOf(['compat', 'strict'], 'compat'),
  SESAME_HOST: text({ minLength: 1, default: '127.0.0.1' }),
  SESAME_PORT: integer(0, 65535, 5000),
  // A server URL may hold a password: its value is never echoed.
  SESAME_DATABASE_URL: text({ minLength: 1, default: 'sqlite:./data/sesame.db', secret: true }),
  SESAME_DATABASE_POOL_SIZE: integer(1, 1000, 10),
  SESAME_DATABASE_TIMEOUT_SECONDS: integer(1, 300, 10),
  SESAME_REDIS_URL: optional(text({ minLength: 1, pattern: '^rediss?://', secret: true })),
  SESAME_REDIS_KEY_PREFIX: text({ default: 'sesame:' }),
  SESAME_LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], 'info'),
  SESAME_SESSION_IDLE_TIMEOUT_SECONDS: integer(1, 31_536_000, 86_400),
  SESAME_SESSION_ABSOLUTE_LIFETIME_SECONDS: integer(1, 31_536_000, 2_592_000),
  SESAME_SINGLE_COOKIE_SESSION: flag(true),
  SESAME_RESET_TOKEN_TTL_SECONDS: integer(1, 86_400, 3600),
  SESAME_PASSWORD_MIN_LENGTH: integer(1, 1024, 1),
  SESAME_PASSWORD_NORMALIZATION: oneOf(['none', 'nfkc'], 'none'),
  SESAME_PASSWORD_BLOCKLIST: flag(false),
  SESAME_RESET_TOKEN_DELIVERY: oneOf(['response', 'webhook'], 'response'),
  // A receiver URL may carry a token of its own: its value is never echoed.
  SESAME_RESET_WEBHOOK_URL: optional(text({ minLength: 1, secret: true })),
  SESAME_WEBHOOK_SECRET: optional(text({ minLength: 1, secret: true })),
  // An RFC 6265 cookie-name token.
  SESAME_COOKIE_NAME: text({
    pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$",
    default: 'session_id',
    message: 'must be a cookie name: letters, digits and !#$%&\'*+.^_`|~-',
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
  SESAME_SIGNING_KEY: optional(text({ minLength: 1, secret: true })),
  SESAME_SIGNING_KEY_FILE: optional(text({ minLength: 1 })),
  SESAME_REFRESH_KEY: optional(text({ minLength: 1, secret: true })),
  SESAME_KEY_ENCRYPTION_KEY: optional(text({ minLength: 1, secret: true })),
  // It travels as a Bearer token, so it must be an RFC 6750 b64token.
  SESAME_INTROSPECTION_TOKEN: optional(text({ minLength: 32, pattern: '^[A-Za-z0-9._~+/-]+=*$', secret: true })),
  // Comma-separated lists.
  SESAME_TRUST_PROXY: text({ default: '' }),
  SESAME_PROXY_HEADER: oneOf(['x-forwarded-for', 'forwarded'], 'x-forwarded-for'),
  SESAME_TRUSTED_ORIGINS: text({ default: '' }),
  SESAME_CORS_ORIGINS: text({ default: '' }),
  // Brute-force and stuffing limits (README, "Security").
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
  SESAME_LIMIT_LOCAL_ENTRIES: integer(1000, 100_000_000, 100_000),
} satisfies Record<string, SettingSchema>;

type ValueOf<S> = S extends { readonly enum: readonly (infer E)[] }
  ? E
  : S extends { readonly type: 'integer' }
    ? number
    : S extends { readonly type: 'boolean' }
      ? boolean
      : string;
type Settings = { -readonly [Name in keyof typeof SETTINGS]: (typeof SETTINGS)[Name] extends { readonly optional: true } ? ValueOf<(typeof SETTINGS)[Name]> | undefined : ValueOf<(typeof SETTINGS)[Name]> };

/**
 * The strict profile's defaults (DESIGN.md §2), where they differ from compat's. Each is still
 * a setting of its own: an explicit value wins over the profile.
 */
const STRICT_DEFAULTS: Partial<Record<keyof Settings, unknown>> = {
  SESAME_RESET_TOKEN_DELIVERY: 'webhook',
  SESAME_SINGLE_COOKIE_SESSION: false,
  SESAME_PASSWORD_MIN_LENGTH: 15,
  SESAME_PASSWORD_BLOCKLIST: true,
  SESAME_PASSWORD_NORMALIZATION: 'nfkc',
  SESAME_COOKIE_NAME: '__Host-session_id',
  SESAME_COOKIE_SECURE: 'always',
};

export type LogLevel = Settings['SESAME_LOG_LEVEL'];

export interface Config {
  readonly profile: 'compat' | 'strict';
  readonly server: { readonly host: string; readonly port: number };
  readonly http: HttpConfig;
  readonly database: DatabaseConfig;
  /** The shared session cache, or null for none. */
  readonly cache: CacheConfig;
  readonly logLevel: LogLevel;
  readonly auth: AuthConfig;
  readonly hashing: PasswordHashingConfig;
  readonly keys: KeyRingConfig;
  /** How often expired sessions and reset tokens are purged; 0: never (run `sesame gc` instead). */
  readonly gcIntervalSeconds: number;
  /** How many attempt counters one process keeps when they are not shared (or Redis is away). */
  readonly localCounterEntries: number;
  /** Where reset tokens and password-change notices are POSTed, and the key that signs them; or none. */
  readonly webhook: { readonly url: string; readonly secret: Buffer } | null;
}

// Names of every setting, for spotting misspelt variables.
const SETTING_NAMES: readonly string[] = Object.keys(SETTINGS);

/** Invalid settings; the message lists every problem at once. */
export class ConfigError extends Error {
  override readonly name = 'ConfigError';

  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((problem) => `  - ${problem}`).join('\n')}`);
  }
}

export interface LoadedConfig {
  readonly config: Config;
  /** Things worth telling the operator that do not stop the service (a misspelt variable). */
  readonly warnings: readonly string[];
}

/**
 * Reads the configuration from, by rising precedence, a `.env` file's variables, the process
 * environment and command-line flags (all keyed by their `SESAME_*` name). Validates every
 * setting, throws a `ConfigError` naming each problem, and returns a frozen `Config`.
 */
export function loadConfig(sources: {
  readonly dotenv?: Readonly<Record<string, string | undefined>>;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly flags?: Readonly<Record<string, string | undefined>>;
}): LoadedConfig {
  const raw: Record<string, string | undefined> = {};
  for (const source of [sources.dotenv, sources.env, sources.flags]) {
    for (const [name, value] of Object.entries(source ?? {})) {
      // An absent flag (undefined) must not hide the environment's value.
      if (value !== undefined) raw[name] = value;
    }
  }
  const warnings = Object.keys(raw)
    .filter((name) => name.startsWith('SESAME_') && !SETTING_NAMES.includes(name) && !name.startsWith('SESAME_TEST_'))
    .map((name) => `${name} is not a setting of Sesame and is ignored`);

  const isStrict = raw.SESAME_PROFILE?.trim() === 'strict';
  const values: Record<string, unknown> = {};
  const problems: string[] = [];
  const invalid = new Set<string>();
  for (const [name, schema] of Object.entries(SETTINGS) as Array<[string, SettingSchema]>) {
    const given = raw[name];
    const fallback = isStrict && name in STRICT_DEFAULTS ? STRICT_DEFAULTS[name as keyof Settings] : schema.default;
    const value = given === undefined || given === '' ? fallback : parseSetting(schema, given.trim());
    values[name] = value;
    if (isValid(schema, value)) continue;
    invalid.add(name);
    // A secret's value never goes into a message (which may end up in a log).
    const got = schema.secret ? 'value hidden' : `got ${JSON.stringify(raw[name])}`;
    problems.push(`${name}: ${describe(schema)} (${got})`);
  }

  // The checks across settings run on the values that passed the schema, so that one message
  // lists every problem.
  const settings = values as Settings;
  const valid = (...names: Array<keyof Settings>) => names.every((name) => !invalid.has(name));
  const database = valid('SESAME_DATABASE_URL', 'SESAME_DATABASE_POOL_SIZE', 'SESAME_DATABASE_TIMEOUT_SECONDS')
    ? parseDatabaseUrl(settings.SESAME_DATABASE_URL, settings.SESAME_DATABASE_POOL_SIZE, settings.SESAME_DATABASE_TIMEOUT_SECONDS, problems)
    : null;
  if (valid('SESAME_PROFILE') && settings.SESAME_PROFILE === 'strict') {
    // Strict refuses to run without what makes it strict (DESIGN.md §2).
    if (settings.SESAME_INTROSPECTION_TOKEN === undefined && valid('SESAME_INTROSPECTION_TOKEN')) {
      problems.push('SESAME_INTROSPECTION_TOKEN: required by the strict profile (/introspect must not be open); e.g. openssl rand -hex 32');
    }
    if (settings.SESAME_KEY_ENCRYPTION_KEY === undefined && valid('SESAME_KEY_ENCRYPTION_KEY')) {
      problems.push('SESAME_KEY_ENCRYPTION_KEY: required by the strict profile (signing keys are encrypted at rest); e.g. openssl rand -hex 32');
    }
  }
  const webhook = readWebhookSettings(settings, problems);
  if (valid('SESAME_COOKIE_NAME', 'SESAME_COOKIE_SECURE') && /^__(Host|Secure)-/.test(settings.SESAME_COOKIE_NAME) && settings.SESAME_COOKIE_SECURE !== 'always') {
    problems.push(`SESAME_COOKIE_NAME: browsers accept a ${settings.SESAME_COOKIE_NAME.split('-')[0]}- cookie only when it is Secure: set SESAME_COOKIE_SECURE=always`);
  }
  if (
    valid('SESAME_ARGON2_MEMORY_KIB', 'SESAME_ARGON2_PARALLELISM') &&
    settings.SESAME_ARGON2_MEMORY_KIB < 8 * settings.SESAME_ARGON2_PARALLELISM
  ) {
    problems.push('SESAME_ARGON2_MEMORY_KIB: argon2 needs at least 8 KiB per lane (SESAME_ARGON2_PARALLELISM)');
  }
  const http = readHttpSettings(settings, problems);
  const keys = valid('SESAME_SIGNING_KEY', 'SESAME_SIGNING_KEY_FILE', 'SESAME_REFRESH_KEY', 'SESAME_KEY_ENCRYPTION_KEY')
    ? readKeySettings(settings, problems)
    : null;
  if (problems.length > 0 || database === null || keys === null) throw new ConfigError(problems);

  const config: Config = {
    profile: settings.SESAME_PROFILE,
    server: { host: settings.SESAME_HOST, port: settings.SESAME_PORT },
    http,
    database,
    cache: settings.SESAME_REDIS_URL === undefined ? null : { url: settings.SESAME_REDIS_URL, keyPrefix: settings.SESAME_REDIS_KEY_PREFIX },
    logLevel: settings.SESAME_LOG_LEVEL,
    auth: {
      sessionIdleTimeoutSeconds: settings.SESAME_SESSION_IDLE_TIMEOUT_SECONDS,
      sessionAbsoluteLifetimeSeconds: settings.SESAME_SESSION_ABSOLUTE_LIFETIME_SECONDS,
      singleCookieSession: settings.SESAME_SINGLE_COOKIE_SESSION,
      resetTokenTtlSeconds: settings.SESAME_RESET_TOKEN_TTL_SECONDS,
      password: {
        minLength: settings.SESAME_PASSWORD_MIN_LENGTH,
        normalization: settings.SESAME_PASSWORD_NORMALIZATION,
        blocklist: settings.SESAME_PASSWORD_BLOCKLIST,
      },
      resetTokenDelivery: settings.SESAME_RESET_TOKEN_DELIVERY,
      issuer: settings.SESAME_ISSUER,
      audience: settings.SESAME_AUDIENCE,
      accessTokenTtlSeconds: settings.SESAME_ACCESS_TOKEN_TTL_SECONDS,
      refreshGraceSeconds: settings.SESAME_REFRESH_GRACE_SECONDS,
      introspectionToken: settings.SESAME_INTROSPECTION_TOKEN ?? null,
      limits: {
        windowSeconds: settings.SESAME_LIMIT_WINDOW_SECONDS,
        accountClientFailures: settings.SESAME_LIMIT_ACCOUNT_CLIENT_FAILURES,
        clientFailures: settings.SESAME_LIMIT_CLIENT_FAILURES,
        accountFreeFailures: settings.SESAME_LIMIT_ACCOUNT_FREE_FAILURES,
        accountMaxDelaySeconds: settings.SESAME_LIMIT_ACCOUNT_MAX_DELAY_SECONDS,
        accountFailures: settings.SESAME_LIMIT_ACCOUNT_FAILURES,
        accountMemorySeconds: settings.SESAME_LIMIT_ACCOUNT_MEMORY_SECONDS,
        resetRequests: settings.SESAME_LIMIT_RESET_REQUESTS,
        clientResetRequests: settings.SESAME_LIMIT_CLIENT_RESET_REQUESTS,
      },
    },
    keys: { ...keys, algorithm: settings.SESAME_JWT_ALGORITHM, accessTokenTtlSeconds: settings.SESAME_ACCESS_TOKEN_TTL_SECONDS },
    hashing: {
      memoryKib: settings.SESAME_ARGON2_MEMORY_KIB,
      iterations: settings.SESAME_ARGON2_ITERATIONS,
      parallelism: settings.SESAME_ARGON2_PARALLELISM,
      concurrency: settings.SESAME_HASH_CONCURRENCY,
      queueLimit: settings.SESAME_HASH_QUEUE_LIMIT,
    },
    gcIntervalSeconds: settings.SESAME_GC_INTERVAL_SECONDS,
    localCounterEntries: settings.SESAME_LIMIT_LOCAL_ENTRIES,
    webhook,
  };
  return { config: deepFreeze(config), warnings };
}

// Only exact spellings convert: "5.5" for an integer or "yes" for a boolean is a mistake to report, not to guess at.
function parseSetting(schema: SettingSchema, text: string): unknown {
  if (schema.type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  if (schema.type === 'boolean' && /^(true|false)$/i.test(text)) return text.toLowerCase() === 'true';
  return text;
}

// JSON Schema's meaning of each keyword used above (lengths count code points).
function isValid(schema: SettingSchema, value: unknown): boolean {
  if (value === undefined) return schema.optional === true;
  if (schema.enum !== undefined) return schema.enum.includes(value as string);
  if (schema.type === 'integer') return Number.isSafeInteger(value) && (value as number) >= schema.minimum! && (value as number) <= schema.maximum!;
  if (schema.type === 'boolean') return typeof value === 'boolean';
  return (
    typeof value === 'string' &&
    [...value].length >= (schema.minLength ?? 0) &&
    (schema.pattern === undefined || new RegExp(schema.pattern, 'u').test(value))
  );
}

function describe(schema: SettingSchema): string {
  const { type, minimum, maximum, minLength, pattern, enum: choices, message } = schema;
  if (message !== undefined) return message;
  if (Array.isArray(choices)) return `must be one of ${choices.join(', ')}`;
  if (type === 'integer') return `must be a whole number from ${minimum} to ${maximum}`;
  if (type === 'boolean') return 'must be true or false';
  if (pattern === '^rediss?://') return 'must be a redis:// or rediss:// URL';
  if (pattern !== undefined) return `must have at least ${minLength} characters of A-Z a-z 0-9 - . _ ~ + / (then = padding)`;
  return minLength !== undefined && minLength > 1 ? `must have at least ${minLength} characters` : 'must not be empty';
}

function listOf(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

function readHttpSettings(settings: Settings, problems: string[]): HttpConfig {
  const trustProxy = listOf(settings.SESAME_TRUST_PROXY);
  try {
    compileProxyTrust(trustProxy);
  } catch {
    problems.push('SESAME_TRUST_PROXY: must list IP addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated');
  }
  const origins = (name: 'SESAME_TRUSTED_ORIGINS' | 'SESAME_CORS_ORIGINS'): string[] => {
    const list = listOf(settings[name]);
    if (list.includes('*')) {
      problems.push(`${name}: * is refused: answers carry credentials, so every origin must be listed`);
    }
    const malformed = list.filter((origin) => origin !== '*' && !isOrigin(origin));
    if (malformed.length > 0) {
      problems.push(`${name}: each entry must be an origin such as https://app.example.com (no path); got ${malformed.join(', ')}`);
    }
    return list;
  };
  return {
    trustProxy,
    proxyHeader: settings.SESAME_PROXY_HEADER,
    cookie: { name: settings.SESAME_COOKIE_NAME, secure: settings.SESAME_COOKIE_SECURE },
    trustedOrigins: origins('SESAME_TRUSTED_ORIGINS'),
    corsOrigins: origins('SESAME_CORS_ORIGINS'),
  };
}

/**
 * A URL a webhook can go to: http or https (https only in strict, but for a receiver on this
 * machine, since the body carries reset tokens), and no credentials (fetch refuses them).
 */
function isWebhookUrl(text: string, isStrict: boolean): boolean {
  if (!URL.canParse(text)) return false;
  const url = new URL(text);
  if (url.username !== '' || url.password !== '') return false;
  if (url.protocol === 'https:') return true;
  const isLoopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  return url.protocol === 'http:' && (!isStrict || isLoopback);
}

/** An http(s) origin written exactly as a browser sends it in `Origin`. */
function isOrigin(text: string): boolean {
  return URL.canParse(text) && /^https?:$/.test(new URL(text).protocol) && new URL(text).origin === text;
}

function readWebhookSettings(settings: Settings, problems: string[]): Config['webhook'] {
  const url = settings.SESAME_RESET_WEBHOOK_URL;
  const text = settings.SESAME_WEBHOOK_SECRET;
  if (settings.SESAME_RESET_TOKEN_DELIVERY === 'webhook' && (url === undefined || text === undefined)) {
    const missing = [url === undefined ? 'SESAME_RESET_WEBHOOK_URL' : null, text === undefined ? 'SESAME_WEBHOOK_SECRET' : null].filter(Boolean);
    problems.push(`SESAME_RESET_TOKEN_DELIVERY: webhook needs ${missing.join(' and ')}`);
    return null;
  }
  if (url === undefined && text === undefined) return null;
  if (url === undefined || text === undefined) {
    problems.push('SESAME_RESET_WEBHOOK_URL: set it and SESAME_WEBHOOK_SECRET together (every delivery is signed)');
    return null;
  }
  if (!isWebhookUrl(url, settings.SESAME_PROFILE === 'strict')) {
    problems.push(
      'SESAME_RESET_WEBHOOK_URL: must be an http(s) URL without a user name or password' +
        (settings.SESAME_PROFILE === 'strict' ? ', and https unless the receiver is on this machine (strict profile)' : '') +
        ' (value hidden)',
    );
    return null;
  }
  // Standard Webhooks' secret format: whsec_ and the base64 of the key.
  const secret = /^whsec_[A-Za-z0-9+/]+={0,2}$/.test(text) ? Buffer.from(text.slice('whsec_'.length), 'base64') : null;
  if (secret === null || secret.length < 24) {
    problems.push('SESAME_WEBHOOK_SECRET: must be whsec_ followed by the base64 of 24 or more random bytes (value hidden); e.g. echo "whsec_$(openssl rand -base64 32)"');
    return null;
  }
  return { url, secret };
}

function readKeySettings(
  settings: Settings,
  problems: string[],
): Pick<KeyRingConfig, 'configuredSigningKeys' | 'configuredRefreshKey' | 'encryptionKey'> | null {
  const before = problems.length;
  let configuredSigningKeys = settings.SESAME_SIGNING_KEY ?? null;
  const file = settings.SESAME_SIGNING_KEY_FILE;
  if (file !== undefined) {
    if (configuredSigningKeys !== null) problems.push('SESAME_SIGNING_KEY_FILE: set it or SESAME_SIGNING_KEY, not both');
    else if (!existsSync(file)) problems.push(`SESAME_SIGNING_KEY_FILE: no such file: ${file}`);
    else configuredSigningKeys = readFileSync(file, 'utf8');
  }
  const encryptionKey = decodeKey(settings.SESAME_KEY_ENCRYPTION_KEY, 'SESAME_KEY_ENCRYPTION_KEY', (bytes) => bytes === 32, 'exactly 32 bytes', problems);
  const configuredRefreshKey = decodeKey(settings.SESAME_REFRESH_KEY, 'SESAME_REFRESH_KEY', (bytes) => bytes >= 32, 'at least 32 bytes', problems);
  return problems.length > before ? null : { configuredSigningKeys, configuredRefreshKey, encryptionKey };
}

/** A key given as hex or base64(url): random bytes, so the encoding is unambiguous at these lengths. */
function decodeKey(
  text: string | undefined,
  name: string,
  isLongEnough: (bytes: number) => boolean,
  wanted: string,
  problems: string[],
): Buffer | null {
  if (text === undefined) return null;
  const bytes = /^([0-9a-f]{2})+$/i.test(text) ? Buffer.from(text, 'hex') : Buffer.from(text, 'base64url');
  const canonical = /^[A-Za-z0-9+/_-]+={0,2}$/.test(text);
  if (!canonical || !isLongEnough(bytes.length)) {
    problems.push(`${name}: must be ${wanted} of random data, as hex or base64 (value hidden); e.g. openssl rand -hex 32`);
    return null;
  }
  return bytes;
}

function parseDatabaseUrl(url: string, poolSize: number, timeoutSeconds: number, problems: string[]): DatabaseConfig | null {
  if (url.startsWith('sqlite:')) {
    // Both `sqlite:relative/path` and `sqlite:///absolute/path` are common spellings.
    const rest = url.slice('sqlite:'.length);
    const path = rest.startsWith('//') ? rest.slice(2) : rest;
    if (path === '') {
      problems.push('SESAME_DATABASE_URL: sqlite: needs a file path, e.g. sqlite:./data/sesame.db');
      return null;
    }
    return { engine: 'sqlite', path };
  }
  const scheme = /^([a-z]+):\/\//.exec(url)?.[1];
  const engine = scheme === 'postgres' || scheme === 'postgresql' ? 'postgres' : scheme === 'mysql' || scheme === 'mariadb' ? 'mysql' : null;
  if (engine === null || !URL.canParse(url) || new URL(url).hostname === '') {
    problems.push('SESAME_DATABASE_URL: must be sqlite:<path>, postgres://user:password@host:port/database or mysql://user:password@host:port/database');
    return null;
  }
  // mysql2 knows only the mysql: scheme; MariaDB speaks the same protocol.
  return { engine, url: engine === 'mysql' ? url.replace(/^mariadb:/, 'mysql:') : url, poolSize, timeoutSeconds };
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    // Typed arrays (key bytes) cannot be frozen; nothing hands them out for writing.
    if (typeof inner === 'object' && inner !== null && !ArrayBuffer.isView(inner)) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}
