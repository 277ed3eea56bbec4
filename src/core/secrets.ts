import { hash, randomBytes, randomFillSync, timingSafeEqual } from 'node:crypto';

// 32 random bytes in base64url, no padding. ASVS 7.2.3 and 11.5.1 ask for at least 128 bits.
const SECRET_BYTES = 32;
const SECRET_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A new secret for a client to hold: 256 bits from the CSPRNG, base64url (43 characters). */
export function generateSecret(): string {
  return randomBytes(SECRET_BYTES).toString('base64url');
}

const ID_BYTES = 16;
// Ids are cut from a buffer of random bytes filled 256 ids at a time, as Node batches its own
// randomUUID: a CSPRNG call per id outweighed the rest of a refresh's id work (BENCHMARKS.md,
// item 23). Secrets never come from it, so no byte of a secret not yet issued sits in memory.
const idPool = Buffer.alloc(ID_BYTES * 256);
let idOffset = idPool.length;

/** A new random identifier (128 bits, base64url, 22 characters) for a row that is not a secret. */
export function generateId(): string {
  if (idOffset === idPool.length) {
    randomFillSync(idPool);
    idOffset = 0;
  }
  const id = idPool.toString('base64url', idOffset, idOffset + ID_BYTES);
  idOffset += ID_BYTES;
  return id;
}

/**
 * True when `value` has the exact shape of a secret we issue. Anything else cannot match a
 * stored hash, so callers refuse it without hashing or querying.
 */
export function isSecretShaped(value: string): boolean {
  return SECRET_PATTERN.test(value);
}

/**
 * The SHA-256 of a secret, lowercase hex: what the store keeps instead of the secret. A fast
 * hash is enough because the secret has 256 bits of entropy; nothing is left to brute-force.
 */
export function hashSecret(secret: string): string {
  return hash('sha256', secret, 'hex');
}

/** Whether a presented bearer secret is the configured one, in constant time whatever the lengths (ASVS 11.2.4): digests are compared. */
export function isSameSecret(presented: string, expected: string): boolean {
  return timingSafeEqual(hash('sha256', presented, 'buffer'), hash('sha256', expected, 'buffer'));
}
