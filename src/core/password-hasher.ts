import { hash as argon2Hash, verify as argon2Verify, type Algorithm } from '@node-rs/argon2';
import { createBoundedQueues, type QueueLoad } from './bounded-queues.js';
import { AuthError } from './errors.js';
import { noMetrics, type Metrics } from './metrics.js';
import { identifyPasswordHash, verifyDerivedHash } from './legacy-hashes.js';
import { generateSecret } from './secrets.js';
import type { PasswordNormalization, StoredPassword } from './store.js';

export interface PasswordHashingConfig {
  /** Argon2id memory cost in KiB (OWASP: 19456 with 2 iterations and 1 lane). */
  readonly memoryKib: number;
  readonly iterations: number;
  readonly parallelism: number;
  /** Hashes in flight: computed on libuv's threads, or waiting there for one. */
  readonly concurrency: number;
  /** Hashes waiting for a slot before `overloaded` is answered, for checks and for new passwords each. */
  readonly queueLimit: number;
}

export interface PasswordHasher {
  /** Hashes a new password with argon2id at the configured cost, after normalising it. */
  hash(password: string, normalization: PasswordNormalization): Promise<StoredPassword>;
  /**
   * True when `password` matches. argon2id hashes and every legacy format of
   * `legacy-hashes.ts` are understood, each verified as its original library did (bcrypt
   * itself reads only the first 72 bytes of a password, and so does this check of a bcrypt
   * hash, so that imported users can log in; the argon2id hash that replaces it at that
   * log-in covers the whole password). A hash that is unknown or past the cost limits never
   * matches.
   */
  verify(password: string, stored: StoredPassword): Promise<boolean>;
  /**
   * Does the work of verifying against a real argon2id hash and returns false: used for
   * unknown emails, so that their answer takes as long as a wrong password's (ASVS 6.3.8).
   */
  verifyNothing(password: string): Promise<false>;
  /** True when the stored hash is not argon2id at today's cost and normalisation. */
  needsRehash(stored: StoredPassword, normalization: PasswordNormalization): boolean;
  /** Hashes in flight and queued now. */
  load(): QueueLoad;
}

// The binding declares `Algorithm` as a const enum, which isolated modules cannot read: 2 is Argon2id.
const ARGON2ID = 2 as Algorithm;

function normalize(password: string, normalization: PasswordNormalization): string {
  return normalization === 'nfkc' ? password.normalize('NFKC') : password;
}

/**
 * Creates the hasher. Every hash and verification takes one of `concurrency` shared slots, so
 * at most that many run at once. Checks of a presented password (`verify`, `verifyNothing`)
 * and hashes of a new one (`hash`: registration, change, reset, upgrade) wait in two queues
 * of their own, of at most `queueLimit` each, and take freed slots in turn; beyond that they
 * fail with `AuthError('overloaded')`. So a sign-up flood fills only the new passwords' queue
 * while log-ins still get every other freed slot, and a log-in storm cannot refuse a reset
 * (DESIGN.md §1). It starts computing its dummy hash at once, so the first unknown email
 * costs no extra.
 */
export function createPasswordHasher(config: PasswordHashingConfig, metrics: Metrics = noMetrics): PasswordHasher {
  const kindOf = { checks: 'check', newPasswords: 'new_password' } as const;
  const { queues, load } = createBoundedQueues(config, ['checks', 'newPasswords'], {
    refused: (kind) => metrics.hashRefused(kindOf[kind]),
    ran: (kind, seconds) => metrics.hashed(kindOf[kind], seconds),
  });
  const options = {
    algorithm: ARGON2ID,
    memoryCost: config.memoryKib,
    timeCost: config.iterations,
    parallelism: config.parallelism,
  };
  const currentPrefix = `$argon2id$v=19$m=${config.memoryKib},t=${config.iterations},p=${config.parallelism}$`;
  const dummyHash = argon2Hash(generateSecret(), options);
  // Until someone awaits it, a failure must not surface as an unhandled rejection.
  dummyHash.catch(() => undefined);

  async function verifyArgon2(hash: string, password: string): Promise<boolean> {
    try {
      return await queues.checks.run(() => argon2Verify(hash, password));
    } catch (error) {
      // A malformed stored hash matches nothing; queue refusals must still reach the caller.
      if (error instanceof AuthError) throw error;
      return false;
    }
  }

  return {
    load,
    async hash(password, normalization) {
      const hash = await queues.newPasswords.run(() => argon2Hash(normalize(password, normalization), options));
      return { hash, normalization };
    },
    async verify(password, stored) {
      const candidate = normalize(password, stored.normalization);
      const identity = identifyPasswordHash(stored.hash);
      if (!identity.usable) return false;
      switch (identity.format) {
        case 'argon2id':
        case 'argon2i':
          return verifyArgon2(stored.hash, candidate);
        case 'bcrypt': {
          // $2y$ (PHP's crypt_blowfish) is the same algorithm as $2b$; the binding knows only the latter.
          const hash = stored.hash.replace(/^\$2y\$/, '$2b$');
          // Loaded at the first legacy hash: most deployments never have one, and it costs 2 MB.
          const { default: bcrypt } = await import('bcrypt');
          return queues.checks.run(() => bcrypt.compare(candidate, hash));
        }
        default:
          return queues.checks.run(() => verifyDerivedHash(stored.hash, candidate));
      }
    },
    async verifyNothing(password) {
      await verifyArgon2(await dummyHash, password);
      return false;
    },
    needsRehash(stored, normalization) {
      return stored.normalization !== normalization || !stored.hash.startsWith(currentPrefix);
    },
  };
}
