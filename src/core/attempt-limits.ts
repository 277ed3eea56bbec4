import { createHash } from 'node:crypto';
import { isIPv6 } from 'node:net';
import { LocalAttemptCounters, type Attempt, type AttemptCounters, type AttemptRule } from './attempt-counters.js';
import type { AuditLog, Client } from './audit.js';
import { CacheUnavailableError } from './cache.js';
import type { Clock } from './clock.js';
import { AuthError } from './errors.js';

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
  /** Reset requests per account per window. */
  readonly resetRequests: number;
  /** Reset requests from one client per window. */
  readonly clientResetRequests: number;
  /** How many keys this process keeps when the counters are not shared. */
  readonly localEntries: number;
}

/** The limits the use cases apply; each refusal throws `rate_limited` with a retry time. */
export interface AttemptLimits {
  /** Counts a password check for the account and client before it is made; throws `rate_limited` when a limit refuses it. */
  beforePasswordCheck(emailKey: string, client: Client): Promise<void>;
  /** The check succeeded: the account's failures are forgiven, and the client's budget gets its attempt back. */
  afterPasswordSuccess(emailKey: string, client: Client): Promise<void>;
  /** Counts a reset request; throws `rate_limited` when the account or the client asked too often. */
  beforeResetRequest(emailKey: string, client: Client): Promise<void>;
  /** A completed reset clears the account's failures: the limits never outlast a reset. */
  afterReset(emailKey: string, client: Client): Promise<void>;
}

const DELAY_BASE_MS = 1000;

/** A short digest of an email key: groups an account's counters and audit events without naming it. */
export function accountOf(emailKey: string): string {
  return createHash('sha256').update(emailKey).digest('base64url').slice(0, 22);
}

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
 * Builds the limits over shared counters (or none). When shared counters cannot be reached,
 * this process's own take over: the limits weaken to one instance's view, but never fail open
 * (ASVS 16.5.3) and never block a log-in on a cache outage.
 */
export function createAttemptLimits(deps: {
  readonly counters: AttemptCounters | null;
  readonly clock: Clock;
  readonly audit: AuditLog;
  readonly config: AttemptLimitsConfig;
}): AttemptLimits {
  const { clock, audit, config } = deps;
  const local = new LocalAttemptCounters(config.localEntries);
  const shared = deps.counters;
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
    client: fixedWindow(config.clientFailures),
    account: {
      limit: config.accountFailures,
      freeAttempts: config.accountFreeFailures,
      baseDelayMs: DELAY_BASE_MS,
      maxDelayMs: config.accountMaxDelaySeconds * 1000,
      ttlMs: config.accountMemorySeconds * 1000,
      isSliding: true,
    },
    reset_account: fixedWindow(config.resetRequests),
    reset_client: fixedWindow(config.clientResetRequests),
  } satisfies Record<string, AttemptRule>;
  type Scope = keyof typeof rules;
  const keyOf = (scope: Scope, account: string, client: Client): string => {
    const network = networkOf(client.address);
    switch (scope) {
      case 'account_client':
        return `limit:account-client:${account}:${network}`;
      case 'account':
        return `limit:account:${account}`;
      case 'client':
        return `limit:client:${network}`;
      case 'reset_account':
        return `limit:reset-account:${account}`;
      case 'reset_client':
        return `limit:reset-client:${network}`;
    }
  };

  async function take(scopes: readonly Scope[], emailKey: string, client: Client): Promise<void> {
    const account = accountOf(emailKey);
    const attempts: Attempt[] = scopes.map((scope) => ({ key: keyOf(scope, account, client), rule: rules[scope] }));
    const waits = await counted((counters) => counters.take(attempts, clock.now().getTime()));
    if (waits === null) return;
    const retryAfterSeconds = Math.max(1, Math.ceil(Math.max(...waits) / 1000));
    const limits = scopes.filter((_, index) => (waits[index] ?? 0) > 0);
    audit({ event: 'limit_hit', account, limits, retryAfterSeconds, client: client.address });
    // The same words whichever limit refused and whether or not the account exists.
    throw new AuthError('rate_limited', 'too many attempts, retry later', retryAfterSeconds);
  }

  return {
    beforePasswordCheck: (emailKey, client) => take(['account_client', 'account', 'client'], emailKey, client),
    async afterPasswordSuccess(emailKey, client) {
      const account = accountOf(emailKey);
      await counted(async (counters) => {
        await counters.clear([keyOf('account_client', account, client), keyOf('account', account, client)]);
        await counters.giveBack([keyOf('client', account, client)]);
      });
    },
    beforeResetRequest: (emailKey, client) => take(['reset_account', 'reset_client'], emailKey, client),
    async afterReset(emailKey, client) {
      const account = accountOf(emailKey);
      await counted((counters) => counters.clear([keyOf('account_client', account, client), keyOf('account', account, client)]));
    },
  };
}
