import { createHmac } from 'node:crypto';
import { isIPv6 } from 'node:net';
import type { Attempt, AttemptCounters, AttemptRule } from './attempt-counters.js';
import { type AuditLog, auditOrigin, type Client } from './audit.js';
import { CacheUnavailableError } from './cache.js';
import type { Clock } from './clock.js';
import { AuthError, type AuthErrorCode } from './errors.js';
import { noMetrics, type Metrics } from './metrics.js';

/** The brute-force and stuffing limits (ASVS 6.3.1, NIST SP 800-63B-4 §3.2.2). */
export interface AttemptLimitsConfig {
  /** The fixed window of the per-client and per-account-and-client counts. */
  readonly windowSeconds: number;
  /** Failed password checks per account from one client per window; then every check from it is refused. */
  readonly accountClientFailures: number;
  /** Failed password checks from one client per window, whatever the accounts (spraying). */
  readonly clientFailures: number;
  /** Consecutive failures on one account, from anywhere, before each next check waits (1 s, doubling). */
  readonly accountFreeFailures: number;
  /** The cap of that wait. */
  readonly accountMaxDelaySeconds: number;
  /** Consecutive failures on one account after which it refuses checks until a reset or `accountMemorySeconds` of quiet (≤ 100, NIST). */
  readonly accountFailures: number;
  /** How long an account's consecutive failures are remembered after the last one. */
  readonly accountMemorySeconds: number;
  /** Reset requests per account from one client per window. */
  readonly resetRequests: number;
  /** Reset requests from one client per window. */
  readonly clientResetRequests: number;
  /** Registrations from one client per window, whatever their outcome. */
  readonly clientRegistrations: number;
  /** Refresh tokens from one client per window that turned out bad (ASVS 2.4.1). */
  readonly clientRefreshFailures: number;
  /** Reset tokens from one client per window that turned out bad. */
  readonly clientResetTokenFailures: number;
}

/** A presented token that is a secret of its own: a refresh token, or a reset token. */
export type PresentedToken = 'refresh' | 'reset';

/** The limits the use cases apply; each refusal throws `rate_limited` with a retry time. */
export interface AttemptLimits {
  /** Counts a password check for the account and client before it is made; throws `rate_limited` when a limit refuses it. */
  beforePasswordCheck(emailKey: string, client: Client): Promise<void>;
  /** The check succeeded: the account's failures are forgiven, the client is known to the account, and its budget gets the attempt back. */
  afterPasswordSuccess(emailKey: string, client: Client): Promise<void>;
  /** The check could not be made (the hasher was full, the store away): the attempt is given back. */
  afterAbandonedCheck(emailKey: string, client: Client): Promise<void>;
  /** Counts a reset request; throws `rate_limited` when this client asked too often, for the account or at all. */
  beforeResetRequest(emailKey: string, client: Client): Promise<void>;
  /** A completed reset clears the account's failures, from every client: the limits never outlast a reset. */
  afterReset(emailKey: string, client: Client): Promise<void>;
  /** Counts a registration; throws `rate_limited` when this client registered too often. */
  beforeRegistration(client: Client): Promise<void>;
  /**
   * Runs `check`, which judges a presented token, under the client's budget of bad tokens of
   * that kind, and returns what it returns. The presentation is counted before `check` runs, so
   * that a burst gets no more verdicts than the budget; it stays counted only when `check`
   * rejects the token (`invalid_grant`, `invalid_reset_token`), and is given back when the token
   * was good or could not be judged. Throws `rate_limited` when the budget is spent.
   */
  checkPresentedToken<T>(token: PresentedToken, client: Client, check: () => Promise<T>): Promise<T>;
  /**
   * An operator's unlock: forgets the account's failures, from every client, in the shared
   * counters and in this process's own, as a completed reset does (without marking any client
   * as known to the account).
   */
  unlock(emailKey: string): Promise<void>;
  /**
   * For each email key, whether its account is locked now: its consecutive failures reached
   * `accountFailures`, so it refuses every password check until an unlock, a reset or
   * `accountMemorySeconds` of quiet.
   */
  lockedAccounts(emailKeys: readonly string[]): Promise<boolean[]>;
  /**
   * How many accounts this process has refused as locked and not seen unlocked since: a
   * gauge that costs nothing to read (the counters themselves would need a scan). Another
   * instance's refusals and a lock that lapsed are not seen until this one meets the account.
   */
  lockedSeen(): number;
  /** A digest of an email key that names the account in keys and audit events without revealing it. */
  accountOf(emailKey: string): string;
}

const DELAY_BASE_MS = 1000;
// A client that logged in to an account is exempt from its delay for this long (the longest session).
const KNOWN_CLIENT_TTL_MS = 30 * 86_400_000;
// One `limit_hit` event per refusing key and retry period, from this many keys at most.
const REPORTED_KEYS = 10_000;

/**
 * The part of a client address that one client controls: an IPv4 address, or the /64 prefix of
 * an IPv6 address (a single host is commonly given a whole /64). IPv4-mapped IPv6 addresses are
 * their IPv4 address.
 */
export function networkOf(address: string): string {
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  if (!isIPv6(address)) return address;
  const [head = '', tail] = address.toLowerCase().split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return `${groups.slice(0, 4).map((group) => group.replace(/^0+(?=.)/, '')).join(':')}::/64`;
}

/**
 * Builds the limits over shared counters (or none) and this process's own. While the shared
 * ones cannot be reached, the process's own take over: the limits weaken to one instance's
 * view, but never fail open (ASVS 16.5.3) and never block a log-in on a cache outage.
 *
 * Against lock-outs (OWASP): the account-wide delay spares clients that have logged in to the
 * account before, so that failures from elsewhere cannot keep its owner out; the hard limit
 * holds for everyone (NIST's 100), and a reset, which no limit blocks, clears it.
 */
export function createAttemptLimits(deps: {
  readonly shared: AttemptCounters | null;
  readonly local: AttemptCounters;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly metrics?: Metrics;
  /** Keys the account digest, so that a digest in a log or a Redis key cannot be reversed by guessing emails. */
  readonly secret: Uint8Array;
  readonly config: AttemptLimitsConfig;
}): AttemptLimits {
  const { shared, local, clock, audit, metrics = noMetrics, secret, config } = deps;
  // Accounts refused as locked, and until when: what `lockedSeen` counts.
  const lockedUntil = new Map<string, number>();
  async function counted<T>(operation: (counters: AttemptCounters) => Promise<T>): Promise<T> {
    if (shared === null) return operation(local);
    try {
      return await operation(shared);
    } catch (error) {
      if (error instanceof CacheUnavailableError) return operation(local);
      throw error;
    }
  }

  const windowMs = config.windowSeconds * 1000;
  const fixedWindow = (limit: number): AttemptRule => ({
    limit,
    freeAttempts: limit,
    baseDelayMs: 0,
    maxDelayMs: 0,
    ttlMs: windowMs,
    isSliding: false,
  });
  const rules = {
    account_client: fixedWindow(config.accountClientFailures),
    account: {
      limit: config.accountFailures,
      freeAttempts: config.accountFreeFailures,
      baseDelayMs: DELAY_BASE_MS,
      maxDelayMs: config.accountMaxDelaySeconds * 1000,
      ttlMs: config.accountMemorySeconds * 1000,
      isSliding: true,
    },
    client: fixedWindow(config.clientFailures),
    reset_account_client: fixedWindow(config.resetRequests),
    reset_client: fixedWindow(config.clientResetRequests),
    register_client: fixedWindow(config.clientRegistrations),
    refresh_client: fixedWindow(config.clientRefreshFailures),
    reset_token_client: fixedWindow(config.clientResetTokenFailures),
  } satisfies Record<string, AttemptRule>;
  type Scope = keyof typeof rules;

  const accountOf = (emailKey: string): string => createHmac('sha256', secret).update(emailKey).digest('base64url').slice(0, 22);
  // The keys of an account whatever the client.
  const accountKeysOf = (emailKey: string) => {
    const account = accountOf(emailKey);
    return { account, accountWide: `limit:account:${account}`, resetAt: `limit:reset-at:${account}` };
  };
  const keysOf = (emailKey: string, client: Client) => {
    const accountKeys = accountKeysOf(emailKey);
    const { account } = accountKeys;
    const network = networkOf(client.address);
    return {
      ...accountKeys,
      account_client: `limit:account-client:${account}:${network}`,
      client: `limit:client:${network}`,
      reset_account_client: `limit:reset-account-client:${account}:${network}`,
      reset_client: `limit:reset-client:${network}`,
      known: `limit:known:${account}:${network}`,
    };
  };
  /** Clears the account-wide count and voids every client's count of the account begun until now. */
  async function forgetFailures(counters: AttemptCounters, keys: { accountWide: string; resetAt: string }, now: number): Promise<void> {
    await counters.clear([keys.accountWide]);
    // Every client's count for this account began before now: void, wherever it is kept.
    await counters.mark(keys.resetAt, now, windowMs, now);
  }

  // The limits of a client alone: no account in their keys or their audit events.
  const clientKeyOf = (scope: 'register_client' | 'refresh_client' | 'reset_token_client', client: Client) =>
    `limit:${scope.replaceAll('_', '-')}:${networkOf(client.address)}`;
  // Each token's limit, and the error with which its check says the token is bad: the one outcome that stays counted.
  const tokenLimits = {
    refresh: { scope: 'refresh_client', rejection: 'invalid_grant' },
    reset: { scope: 'reset_token_client', rejection: 'invalid_reset_token' },
  } as const satisfies Record<PresentedToken, { scope: Scope; rejection: AuthErrorCode }>;

  const reported = new Map<string, number>();
  /** Records a refusal once per refusing key until its retry time: a flood of refused requests writes no flood of lines. */
  function reportRefusal(account: string | null, client: Client, refusing: ReadonlyArray<readonly [Scope, string]>, retryAfterSeconds: number): void {
    const now = clock.now().getTime();
    if (refusing.every(([, key]) => (reported.get(key) ?? 0) > now)) return;
    for (const [, key] of refusing) {
      reported.delete(key);
      reported.set(key, now + retryAfterSeconds * 1000);
    }
    for (const key of reported.keys()) {
      if (reported.size <= REPORTED_KEYS) break;
      reported.delete(key);
    }
    audit({ event: 'limit_hit', account, limits: refusing.map(([scope]) => scope), retryAfterSeconds, ...auditOrigin(client) });
  }

  function noteLocked(account: string, untilMs: number): void {
    lockedUntil.delete(account);
    lockedUntil.set(account, untilMs);
    for (const key of lockedUntil.keys()) {
      if (lockedUntil.size <= REPORTED_KEYS) break;
      lockedUntil.delete(key);
    }
  }

  async function take(account: string | null, client: Client, attempts: ReadonlyArray<readonly [Scope, Attempt]>): Promise<void> {
    const now = clock.now().getTime();
    const waits = await counted((counters) => counters.take(attempts.map(([, attempt]) => attempt), now));
    if (waits === null) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...waits) / 1000));
    const refusing = attempts.filter((_, index) => (waits[index] ?? 0) > 0).map(([scope, attempt]) => [scope, attempt.key] as const);
    attempts.forEach(([scope], index) => {
      const waitMs = waits[index] ?? 0;
      if (waitMs === 0) return;
      metrics.limitRefused(scope);
      // The growing delay never exceeds its cap: a longer wait is the hard limit's lock.
      if (scope === 'account' && account !== null && waitMs > rules.account.maxDelayMs) noteLocked(account, now + waitMs);
    });
    reportRefusal(account, client, refusing, retryAfterSeconds);
    // The same words whichever limit refused and whether or not the account exists.
    throw new AuthError('rate_limited', 'too many attempts, retry later', retryAfterSeconds);
  }

  return {
    accountOf,

    lockedSeen() {
      const now = clock.now().getTime();
      for (const [account, untilMs] of lockedUntil) if (untilMs <= now) lockedUntil.delete(account);
      return lockedUntil.size;
    },

    async beforePasswordCheck(emailKey, client) {
      const keys = keysOf(emailKey, client);
      const now = clock.now().getTime();
      const [known, resetAt] = await counted((counters) => counters.readMarks([keys.known, keys.resetAt], now));
      await take(keys.account, client, [
        ['account_client', { key: keys.account_client, rule: rules.account_client, voidBeforeMs: resetAt ?? -1 }],
        // A known client still counts towards the hard limit, but never waits for strangers' failures.
        ['account', { key: keys.accountWide, rule: (known ?? null) === null ? rules.account : { ...rules.account, freeAttempts: rules.account.limit } }],
        ['client', { key: keys.client, rule: rules.client }],
      ]);
    },

    async afterPasswordSuccess(emailKey, client) {
      const keys = keysOf(emailKey, client);
      const now = clock.now().getTime();
      lockedUntil.delete(keys.account);
      await counted(async (counters) => {
        await counters.clear([keys.account_client, keys.accountWide]);
        await counters.giveBack([keys.client]);
        await counters.mark(keys.known, now, KNOWN_CLIENT_TTL_MS, now);
      });
    },

    async afterAbandonedCheck(emailKey, client) {
      const keys = keysOf(emailKey, client);
      await counted((counters) => counters.giveBack([keys.account_client, keys.accountWide, keys.client]));
    },

    async beforeResetRequest(emailKey, client) {
      const keys = keysOf(emailKey, client);
      // Per account *and* client: no one can use up an owner's reset requests from elsewhere.
      await take(keys.account, client, [
        ['reset_account_client', { key: keys.reset_account_client, rule: rules.reset_account_client }],
        ['reset_client', { key: keys.reset_client, rule: rules.reset_client }],
      ]);
    },

    async afterReset(emailKey, client) {
      const keys = keysOf(emailKey, client);
      const now = clock.now().getTime();
      lockedUntil.delete(keys.account);
      await counted(async (counters) => {
        await forgetFailures(counters, keys, now);
        await counters.mark(keys.known, now, KNOWN_CLIENT_TTL_MS, now);
      });
    },

    async unlock(emailKey) {
      const keys = accountKeysOf(emailKey);
      const now = clock.now().getTime();
      lockedUntil.delete(keys.account);
      // This process's counters first, and always: they are the ones that judge while Redis is
      // away, and failures counted in them then would outlive an unlock that cleared only Redis.
      await forgetFailures(local, keys, now);
      // Then the shared ones; their CacheUnavailableError passes on, for an unlock that did not
      // reach every instance must not be reported as done.
      if (shared !== null) await forgetFailures(shared, keys, now);
    },

    async lockedAccounts(emailKeys) {
      if (emailKeys.length === 0) return [];
      const now = clock.now().getTime();
      const records = await counted((counters) => counters.read(emailKeys.map((emailKey) => accountKeysOf(emailKey).accountWide), now));
      return records.map((record) => record !== null && record.count >= config.accountFailures);
    },

    async beforeRegistration(client) {
      await take(null, client, [['register_client', { key: clientKeyOf('register_client', client), rule: rules.register_client }]]);
    },

    async checkPresentedToken(token, client, check) {
      const { scope, rejection } = tokenLimits[token];
      const key = clientKeyOf(scope, client);
      await take(null, client, [[scope, { key, rule: rules[scope] }]]);
      try {
        const verdict = await check();
        await counted((counters) => counters.giveBack([key]));
        return verdict;
      } catch (error) {
        if (!(error instanceof AuthError && error.code === rejection)) await counted((counters) => counters.giveBack([key]));
        throw error;
      }
    },
  };
}
