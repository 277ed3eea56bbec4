import { createHmac } from 'node:crypto';
import type { JWK } from 'jose';
import { createAccounts, type Accounts } from './accounts.js';
import { createAdministration, type Administration } from './admin.js';
import { createAttemptLimits } from './attempt-limits.js';
import { withSessionCache } from './cached-store.js';
import { withCountedOutcomes } from './counted-outcomes.js';
import { noMetrics } from './metrics.js';
import { createConsoleSessions, type ConsoleSessions } from './console-sessions.js';
import { createCookieSessions, type CookieSessions } from './cookie-sessions.js';
import type { AuthDeps, CoreDeps } from './deps.js';
import { createPasswords, type Passwords } from './passwords.js';
import { idleCutoff } from './sessions.js';
import { createOwnSessions, type OwnSessions } from './own-sessions.js';
import type { PurgeCounts } from './store.js';
import { createTokens, type Tokens } from './tokens.js';

/** What keeps the service itself going: its public keys, the purge of expired rows, readiness. */
export interface Maintenance {
  /** The public signing keys that can still verify unexpired tokens (JWK Set). */
  publicKeys(): { keys: JWK[] };

  /** Deletes expired sessions and reset tokens. */
  purgeExpired(): Promise<PurgeCounts>;

  /**
   * Resolves when the store and the cache (when there is one) both answer: without the cache,
   * log-outs and password changes answer 503. Throws the unavailable one's error.
   */
  checkReady(): Promise<void>;

  /** Accounts this process has refused as locked and not seen unlocked since (a cheap gauge; docs/monitoring.md). */
  lockedAccountsSeen(): number;
}

/**
 * The use cases of Sesame, one family each: accounts (`accounts.ts`), cookie sessions
 * (`cookie-sessions.ts`), passwords (`passwords.ts`), tokens (`tokens.ts`), a user's own
 * sessions (`own-sessions.ts`), operators' administration (`admin.ts`) and their console's sign-in
 * (`console-sessions.ts`). Failures are
 * `AuthError`s; the store's own errors pass through. `client` is where the request came from:
 * attempt limits count by it and audit events name it. Every use case that checks a password
 * counts the check against the limits before hashing, and throws `rate_limited` (with a retry
 * time) when a limit refuses it.
 */
export type Auth = Accounts & CookieSessions & Passwords & Tokens & OwnSessions & Administration & ConsoleSessions & Maintenance;

/**
 * Builds the use cases over a store, a clock, a hasher and the key ring. Every secret it
 * issues is 256 random bits stored as SHA-256; every check that involves a password costs one
 * password verification whether or not the email exists; every write that depends on an
 * earlier read is a compare-and-set in the store; every session it ends is ended in the cache
 * first (`withSessionCache`).
 */
export function createAuth(authDeps: AuthDeps): Auth {
  const { store: port, cache, counters, metrics = noMetrics, ...rest } = authDeps;
  const { clock, keys, config } = rest;
  const limits = createAttemptLimits({
    ...counters,
    clock,
    audit: rest.audit,
    metrics,
    // A key of its own, derived from a server secret every instance shares.
    secret: createHmac('sha256', keys.refreshKey()).update('sesame attempt-limit account digest').digest(),
    config: config.limits,
  });
  const store = withSessionCache(port, cache, clock, metrics);
  const deps: CoreDeps = { ...rest, store, limits };
  const accounts = createAccounts(deps);
  const cookieSessions = createCookieSessions(deps);
  const passwords = createPasswords(deps);
  const tokens = createTokens(deps);
  return {
    ...accounts,
    ...cookieSessions,
    ...passwords,
    ...tokens,
    ...withCountedOutcomes({ ...accounts, ...cookieSessions, ...passwords, ...tokens }, metrics),
    ...createOwnSessions(deps),
    ...createAdministration(deps),
    ...createConsoleSessions(deps),
    publicKeys: () => keys.jwks(),
    purgeExpired() {
      const now = clock.now();
      return store.purgeExpired(now, idleCutoff(now, config));
    },
    lockedAccountsSeen: () => limits.lockedSeen(),
    checkReady: async () => {
      await Promise.all([store.ping(), cache.ping()]);
    },
  };
}
