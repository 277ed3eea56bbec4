import { pbkdf2, scrypt, timingSafeEqual } from 'node:crypto';

/**
 * The password hash formats Sesame verifies: its own argon2id, and what the apps it replaces
 * stored (bcrypt, passlib, Werkzeug, Django, argon2i). Every legacy format is verified as its
 * original library did (the same bytes in, the same encoding out) and replaced by argon2id at
 * the next successful log-in.
 */
export type HashFormat =
  | 'argon2id'
  | 'argon2i'
  | 'bcrypt'
  | 'passlib-pbkdf2-sha256'
  | 'passlib-pbkdf2-sha512'
  | 'werkzeug-pbkdf2-sha256'
  | 'werkzeug-pbkdf2-sha512'
  | 'werkzeug-scrypt'
  | 'django-pbkdf2-sha256';

/** What a stored hash is: a format Sesame can verify, with its parameters, or why it cannot. */
export type HashIdentity =
  | {
      readonly usable: true;
      readonly format: HashFormat;
      /** The cost parameters as the hash states them (rounds, cost, n/r/p, m/t/p). */
      readonly params: Readonly<Record<string, number>>;
      /** Below the floor an attacker holding the hash should have to pay (see `WEAK_BELOW`). */
      readonly weak: boolean;
    }
  | { readonly usable: false; readonly reason: string };

/**
 * Costs past which a stored hash is refused: a hash planted with an enormous cost must not let
 * one log-in hold a hashing slot, or hundreds of MiB, for minutes.
 */
export const COST_LIMITS = {
  bcryptCost: 16,
  pbkdf2Iterations: 2_000_000,
  /** Bytes scrypt and argon2 may need for one hash. */
  memoryBytes: 256 * 1024 * 1024,
  argon2Iterations: 64,
  parallelism: 16,
} as const;

/**
 * Costs below which an imported hash is flagged as weak: bcrypt's cost 10 (OWASP's legacy
 * floor), 10,000 PBKDF2 iterations, scrypt N = 16384, and argon2 under OWASP's cheapest
 * equivalent (m × t below 7 MiB × 5).
 */
export const WEAK_BELOW = { bcryptCost: 10, pbkdf2Iterations: 10_000, scryptN: 16_384, argon2MemoryTimesIterations: 7168 * 5 } as const;

const BCRYPT = /^\$2[aby]\$(\d{2})\$[./A-Za-z0-9]{53}$/;
const ARGON2 = /^\$(argon2id|argon2i)\$v=19\$m=(\d{1,10}),t=(\d{1,10}),p=(\d{1,3})\$[A-Za-z0-9+/]{11,}\$[A-Za-z0-9+/]{16,}$/;
// passlib's adapted base64: '.' for '+', no padding.
const PASSLIB = /^\$pbkdf2-(sha256|sha512)\$(\d{1,10})\$([./A-Za-z0-9]*)\$([./A-Za-z0-9]+)$/;
// Werkzeug stores the salt as text ([A-Za-z0-9] since 0.15) and the digest as hex.
const WERKZEUG_PBKDF2 = /^pbkdf2:(sha256|sha512):(\d{1,10})\$([^$]*)\$([0-9a-f]+)$/;
const WERKZEUG_SCRYPT = /^scrypt:(\d{1,10}):(\d{1,4}):(\d{1,4})\$([^$]*)\$([0-9a-f]+)$/;
// Django: the salt is text, the digest standard base64.
const DJANGO_PBKDF2 = /^pbkdf2_sha256\$(\d{1,10})\$([^$]*)\$([A-Za-z0-9+/]+={0,2})$/;

const DIGEST_BYTES = { sha256: 32, sha512: 64 } as const;
// Werkzeug's hashlib.scrypt call keeps the default dklen.
const WERKZEUG_SCRYPT_BYTES = 64;

/** A legacy hash taken apart: what deriving and comparing it takes. */
type Derivation =
  | { readonly kind: 'pbkdf2'; readonly digest: 'sha256' | 'sha512'; readonly iterations: number; readonly salt: Buffer; readonly expected: Buffer }
  | { readonly kind: 'scrypt'; readonly n: number; readonly r: number; readonly p: number; readonly salt: Buffer; readonly expected: Buffer };

interface Parsed {
  readonly identity: HashIdentity;
  readonly derivation: Derivation | null;
}

const unusable = (reason: string): Parsed => ({ identity: { usable: false, reason }, derivation: null });

function usable(format: HashFormat, params: Record<string, number>, weak: boolean, derivation: Derivation | null = null): Parsed {
  return { identity: { usable: true, format, params, weak }, derivation };
}

/** Names the format of a stored hash and its parameters, or says why Sesame cannot verify it. */
export function identifyPasswordHash(hash: string): HashIdentity {
  return parse(hash).identity;
}

/**
 * Verifies `password` against a PBKDF2 or scrypt hash (passlib, Werkzeug, Django), as the
 * original did: the password's UTF-8 bytes, the salt decoded or taken as text as that library
 * does, compared in constant time. Runs on libuv's threads. False for any other or unusable hash.
 */
export async function verifyDerivedHash(hash: string, password: string): Promise<boolean> {
  const { derivation } = parse(hash);
  if (derivation === null) return false;
  const secret = Buffer.from(password, 'utf8');
  const derived = await derive(derivation, secret);
  return derived.length === derivation.expected.length && timingSafeEqual(derived, derivation.expected);
}

function derive(derivation: Derivation, secret: Buffer): Promise<Buffer> {
  const keyLength = derivation.expected.length;
  return new Promise((resolve, reject) => {
    const done = (error: Error | null, key: Buffer) => (error ? reject(error) : resolve(key));
    if (derivation.kind === 'pbkdf2') {
      pbkdf2(secret, derivation.salt, derivation.iterations, keyLength, derivation.digest, done);
    } else {
      const { n, r, p } = derivation;
      scrypt(secret, derivation.salt, keyLength, { N: n, r, p, maxmem: scryptMemory(n, r, p) + 1024 * 1024 }, done);
    }
  });
}

// What OpenSSL's scrypt allocates: the V array (128·r·N) and the B blocks (128·r·p).
function scryptMemory(n: number, r: number, p: number): number {
  return 128 * r * (n + p + 2);
}

/** `$argon2…$`, `$2b$…` and the like are tried in the order of how common they are. */
function parse(hash: string): Parsed {
  if (hash.startsWith('$argon2')) return parseArgon2(hash);
  if (hash.startsWith('$2')) return parseBcrypt(hash);
  if (hash.startsWith('$pbkdf2-')) return parsePasslib(hash);
  if (hash.startsWith('pbkdf2:')) return parseWerkzeugPbkdf2(hash);
  if (hash.startsWith('scrypt:')) return parseWerkzeugScrypt(hash);
  if (hash.startsWith('pbkdf2_sha256$')) return parseDjango(hash);
  if (hash === '') return unusable('empty hash');
  return unusable('unknown hash format');
}

function parseArgon2(hash: string): Parsed {
  const match = ARGON2.exec(hash);
  if (!match) return unusable(hash.startsWith('$argon2d$') ? 'argon2d is not a password hash' : 'malformed argon2 hash (or a version other than 19)');
  const [, variant, m, t, p] = match;
  const params = { m: Number(m), t: Number(t), p: Number(p) };
  if (params.m * 1024 > COST_LIMITS.memoryBytes) return unusable(`argon2 memory ${params.m} KiB is over the limit`);
  if (params.t < 1 || params.t > COST_LIMITS.argon2Iterations) return unusable(`argon2 iterations ${params.t} out of range`);
  if (params.p < 1 || params.p > COST_LIMITS.parallelism) return unusable(`argon2 parallelism ${params.p} out of range`);
  return usable(variant as 'argon2id' | 'argon2i', params, params.m * params.t < WEAK_BELOW.argon2MemoryTimesIterations);
}

function parseBcrypt(hash: string): Parsed {
  const match = BCRYPT.exec(hash);
  if (!match) return unusable('malformed bcrypt hash');
  const cost = Number(match[1]);
  if (cost < 4 || cost > COST_LIMITS.bcryptCost) return unusable(`bcrypt cost ${cost} out of range (4 to ${COST_LIMITS.bcryptCost})`);
  return usable('bcrypt', { cost }, cost < WEAK_BELOW.bcryptCost);
}

function parsePasslib(hash: string): Parsed {
  const match = PASSLIB.exec(hash);
  if (!match) return unusable('malformed passlib pbkdf2 hash');
  const [, digest, rounds, salt, checksum] = match as unknown as [string, 'sha256' | 'sha512', string, string, string];
  const expected = adaptedBase64(checksum);
  if (expected.length !== DIGEST_BYTES[digest]) return unusable(`passlib pbkdf2-${digest} checksum is not ${DIGEST_BYTES[digest]} bytes`);
  return pbkdf2Hash(`passlib-pbkdf2-${digest}`, digest, Number(rounds), adaptedBase64(salt), expected);
}

function parseWerkzeugPbkdf2(hash: string): Parsed {
  const match = WERKZEUG_PBKDF2.exec(hash);
  if (!match) return unusable('malformed Werkzeug pbkdf2 hash (or one without its iteration count)');
  const [, digest, iterations, salt, hex] = match as unknown as [string, 'sha256' | 'sha512', string, string, string];
  const expected = Buffer.from(hex, 'hex');
  if (hex.length !== DIGEST_BYTES[digest] * 2) return unusable(`Werkzeug pbkdf2:${digest} digest is not ${DIGEST_BYTES[digest]} bytes`);
  return pbkdf2Hash(`werkzeug-pbkdf2-${digest}`, digest, Number(iterations), Buffer.from(salt, 'utf8'), expected);
}

function parseDjango(hash: string): Parsed {
  const match = DJANGO_PBKDF2.exec(hash);
  if (!match) return unusable('malformed Django pbkdf2_sha256 hash');
  const [, iterations, salt, digest] = match as unknown as [string, string, string, string];
  const expected = Buffer.from(digest, 'base64');
  if (expected.length !== DIGEST_BYTES.sha256) return unusable('Django pbkdf2_sha256 digest is not 32 bytes');
  return pbkdf2Hash('django-pbkdf2-sha256', 'sha256', Number(iterations), Buffer.from(salt, 'utf8'), expected);
}

function pbkdf2Hash(format: HashFormat, digest: 'sha256' | 'sha512', iterations: number, salt: Buffer, expected: Buffer): Parsed {
  if (iterations < 1 || iterations > COST_LIMITS.pbkdf2Iterations) return unusable(`pbkdf2 iterations ${iterations} out of range (1 to ${COST_LIMITS.pbkdf2Iterations})`);
  return usable(format, { iterations }, iterations < WEAK_BELOW.pbkdf2Iterations, { kind: 'pbkdf2', digest, iterations, salt, expected });
}

function parseWerkzeugScrypt(hash: string): Parsed {
  const match = WERKZEUG_SCRYPT.exec(hash);
  if (!match) return unusable('malformed Werkzeug scrypt hash');
  const [n, r, p] = [match[1], match[2], match[3]].map(Number) as [number, number, number];
  const expected = Buffer.from(match[5]!, 'hex');
  if (expected.length !== WERKZEUG_SCRYPT_BYTES) return unusable(`Werkzeug scrypt digest is not ${WERKZEUG_SCRYPT_BYTES} bytes`);
  if (n < 2 || (n & (n - 1)) !== 0) return unusable(`scrypt N ${n} is not a power of 2`);
  if (r < 1 || p < 1 || p > COST_LIMITS.parallelism) return unusable(`scrypt r ${r} or p ${p} out of range`);
  if (scryptMemory(n, r, p) > COST_LIMITS.memoryBytes) return unusable(`scrypt N=${n}, r=${r} needs more memory than the limit`);
  const salt = Buffer.from(match[4]!, 'utf8');
  return usable('werkzeug-scrypt', { n, r, p }, n < WEAK_BELOW.scryptN, { kind: 'scrypt', n, r, p, salt, expected });
}

function adaptedBase64(text: string): Buffer {
  return Buffer.from(text.replaceAll('.', '+'), 'base64');
}
