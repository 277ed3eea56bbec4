import type { HttpConfig } from './app.js';
import { isPlaceholderSecret, placeholderProblem } from './config/is-placeholder-secret.js';
import { readEmailSettings, type EmailConfig } from './config/read-email-settings.js';
import { readAdminSettings } from './config/read-admin-settings.js';
import { parseDatabaseUrl } from './config/parse-database-url.js';
import { readHttpSettings } from './config/read-http-settings.js';
import { readKeySettings } from './config/read-key-settings.js';
import { defaultResetUrl, readUiSettings } from './config/read-ui-settings.js';
import { readSettings } from './config/read-settings.js';
import { readWebhookSettings, type WebhookConfig } from './config/read-webhook-settings.js';
import { SETTINGS, type SettingName, type Settings } from './config/settings.js';
import type { AuthConfig } from './core/deps.js';
import type { PasswordHashingConfig } from './core/password-hasher.js';
import type { KeyRingConfig } from './core/signing-keys.js';
import type { CacheConfig, DatabaseConfig } from './store/open-store.js';

export type LogLevel = Settings['SESAME_LOG_LEVEL'];

export interface Config {
  readonly profile: 'compat' | 'strict';
  readonly server: { readonly host: string; readonly port: number };
  /** Where the admin listener listens; null when the admin API is off or served on the main listener. */
  readonly adminServer: { readonly host: string; readonly port: number } | null;
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
  readonly webhook: WebhookConfig | null;
  /** Sesame's own email (reset links, password-change notices), or none. */
  readonly email: EmailConfig | null;
  /** The commit the build came from (`SESAME_BUILD_COMMIT`), for the metrics' build info; null when unknown. */
  readonly buildCommit: string | null;
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

  const { settings, invalid, problems: schemaProblems } = readSettings(raw);
  // The checks across settings run on the values that passed the schema, so that one message
  // lists every problem.
  const problems = [...schemaProblems];
  const valid = (...names: SettingName[]) => names.every((name) => !invalid.has(name));
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
  if (settings.SESAME_INTROSPECTION_TOKEN !== undefined && valid('SESAME_INTROSPECTION_TOKEN') && isPlaceholderSecret(settings.SESAME_INTROSPECTION_TOKEN)) {
    problems.push(placeholderProblem('SESAME_INTROSPECTION_TOKEN', 'openssl rand -hex 32'));
  }
  const webhook = readWebhookSettings(settings, problems);
  const email = readEmailSettings(settings, (name) => valid(name), problems, defaultResetUrl(settings, (name) => valid(name), problems));
  if (valid('SESAME_COOKIE_NAME', 'SESAME_COOKIE_SECURE') && /^__(Host|Secure)-/.test(settings.SESAME_COOKIE_NAME) && settings.SESAME_COOKIE_SECURE !== 'always') {
    problems.push(`SESAME_COOKIE_NAME: browsers accept a ${settings.SESAME_COOKIE_NAME.split('-')[0]}- cookie only when it is Secure: set SESAME_COOKIE_SECURE=always`);
  }
  if (
    valid('SESAME_ARGON2_MEMORY_KIB', 'SESAME_ARGON2_PARALLELISM') &&
    settings.SESAME_ARGON2_MEMORY_KIB < 8 * settings.SESAME_ARGON2_PARALLELISM
  ) {
    problems.push('SESAME_ARGON2_MEMORY_KIB: argon2 needs at least 8 KiB per lane (SESAME_ARGON2_PARALLELISM)');
  }
  const admin = readAdminSettings(settings, (name) => valid(name), problems);
  const http = {
    ...readHttpSettings(settings, problems),
    admin: admin.http,
    metrics: admin.metrics,
    ui: readUiSettings(settings, (name) => valid(name), problems),
    authorizationServer: { issuer: settings.SESAME_ISSUER, isIntrospectionOpen: settings.SESAME_INTROSPECTION_TOKEN === undefined },
  };
  const keys = valid('SESAME_SIGNING_KEY', 'SESAME_SIGNING_KEY_FILE', 'SESAME_REFRESH_KEY', 'SESAME_KEY_ENCRYPTION_KEY')
    ? readKeySettings(settings, problems)
    : null;
  if (problems.length > 0 || database === null || keys === null) throw new ConfigError(problems);

  const config: Config = {
    profile: settings.SESAME_PROFILE,
    server: { host: settings.SESAME_HOST, port: settings.SESAME_PORT },
    adminServer: admin.server,
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
      adminToken: admin.token,
      unknownAccountAtLogin: settings.SESAME_UNKNOWN_ACCOUNT_AT_LOGIN,
      consoleSession: {
        idleTimeoutSeconds: settings.SESAME_UI_ADMIN_IDLE_TIMEOUT_SECONDS,
        absoluteLifetimeSeconds: settings.SESAME_UI_ADMIN_LIFETIME_SECONDS,
      },
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
        clientRegistrations: settings.SESAME_LIMIT_CLIENT_REGISTRATIONS,
        clientRefreshFailures: settings.SESAME_LIMIT_CLIENT_REFRESH_FAILURES,
        clientResetTokenFailures: settings.SESAME_LIMIT_CLIENT_RESET_TOKEN_FAILURES,
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
    email,
    buildCommit: settings.SESAME_BUILD_COMMIT ?? null,
  };
  return { config: deepFreeze(config), warnings };
}

function deepFreeze<T extends object>(value: T): T {
  for (const inner of Object.values(value)) {
    // Typed arrays (key bytes) cannot be frozen; nothing hands them out for writing.
    if (typeof inner === 'object' && inner !== null && !ArrayBuffer.isView(inner)) deepFreeze(inner as object);
  }
  return Object.freeze(value);
}
