import { describe, expect, it } from 'vitest';
import { dumpHashes, LEGACY_SQLITE, sqliteHashes, type LegacyHash } from '../../test/support/legacy-fixtures.js';
import { identifyPasswordHash } from './legacy-hashes.js';
import { createPasswordHasher, type PasswordHashingConfig } from './password-hasher.js';

const cheap: PasswordHashingConfig = { memoryKib: 64, iterations: 1, parallelism: 1, concurrency: 2, queueLimit: 1000 };
const none = (hash: string) => ({ hash, normalization: 'none' as const });

async function checkEvery(hashes: readonly LegacyHash[], isBcrypt: boolean): Promise<void> {
  const hasher = createPasswordHasher(cheap);
  const results = await Promise.all(
    hashes.map(async ({ account, hash }) => ({
      key: account.key,
      right: await hasher.verify(account.password, none(hash)),
      // bcrypt reads 72 bytes: a different tail past them passes, as it did in the original.
      wrong: await hasher.verify(`${account.password}x`, none(hash)),
    })),
  );
  for (const result of results) {
    expect(result.right, result.key).toBe(true);
    const ignoresTail = isBcrypt && ['dave', 'oscar'].includes(result.key);
    expect(result.wrong, result.key).toBe(ignoresTail);
  }
}

describe('legacy hashes', () => {
  it.each(LEGACY_SQLITE)('verifies every account of $file, and refuses a wrong password', async (fixture) => {
    const hashes = sqliteHashes(fixture);
    expect(hashes).toHaveLength(13);
    await checkEvery(hashes, fixture.file.startsWith('holberton'));
  });

  it("verifies every account of python-jwt-auth's MySQL dump", async () => {
    const hashes = dumpHashes();
    expect(hashes).toHaveLength(12);
    await checkEvery(hashes, true);
  });

  it('keeps bcrypt to its first 72 bytes, as the original did, and a different 72 bytes fail', async () => {
    const hasher = createPasswordHasher(cheap);
    const [holberton] = LEGACY_SQLITE;
    const byKey = new Map(sqliteHashes(holberton).map((each) => [each.account.key, each]));
    const dave = byKey.get('dave')!;
    const first72 = Buffer.from(dave.account.password).subarray(0, 72).toString();
    expect(await hasher.verify(first72, none(dave.hash))).toBe(true);
    expect(await hasher.verify(first72.slice(0, 71), none(dave.hash))).toBe(false);
    const oscar = byKey.get('oscar')!;
    // 'a' and 24 CJK characters: 73 bytes, the same first 72 as oscar's 76.
    expect(await hasher.verify(`a${'日'.repeat(24)}`, none(oscar.hash))).toBe(true);
    expect(await hasher.verify(`a${'日'.repeat(23)}`, none(oscar.hash))).toBe(false);
  });

  it('names each format with its parameters, and flags weak ones', () => {
    const [holberton, course, werkzeug, werkzeug3] = LEGACY_SQLITE;
    expect(identifyPasswordHash(sqliteHashes(holberton)[0]!.hash)).toEqual({ usable: true, format: 'bcrypt', params: { cost: 12 }, weak: false });
    expect(identifyPasswordHash(sqliteHashes(course)[0]!.hash)).toEqual({ usable: true, format: 'passlib-pbkdf2-sha256', params: { iterations: 29000 }, weak: false });
    expect(identifyPasswordHash(sqliteHashes(werkzeug)[0]!.hash)).toMatchObject({ format: 'werkzeug-pbkdf2-sha256', params: { iterations: 260000 } });
    expect(identifyPasswordHash(sqliteHashes(werkzeug3)[12]!.hash)).toEqual({ usable: true, format: 'werkzeug-scrypt', params: { n: 32768, r: 8, p: 1 }, weak: false });
    expect(identifyPasswordHash(`$2b$04$${'a'.repeat(53)}`)).toMatchObject({ format: 'bcrypt', weak: true });
    expect(identifyPasswordHash('pbkdf2:sha256:1000$salt$' + 'ab'.repeat(32))).toMatchObject({ format: 'werkzeug-pbkdf2-sha256', weak: true });
    expect(identifyPasswordHash('scrypt:1024:8:1$salt$' + 'ab'.repeat(64))).toMatchObject({ format: 'werkzeug-scrypt', weak: true });
  });

  it('refuses unknown formats and costs past the limits, with a reason', () => {
    const refused = [
      '',
      'plaintext',
      '$1$md5crypt$abcdefghijklmnopqrstuv',
      `$2b$31$${'a'.repeat(53)}`,
      `$2b$12$${'a'.repeat(50)}`,
      'pbkdf2:sha256$salt$' + 'ab'.repeat(32),
      'pbkdf2:sha256:999999999$salt$' + 'ab'.repeat(32),
      'pbkdf2:sha256:1000$salt$abcd',
      'scrypt:1048576:8:1$salt$' + 'ab'.repeat(64),
      'scrypt:1000:8:1$salt$' + 'ab'.repeat(64),
      '$argon2id$v=19$m=4194304,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'A'.repeat(43),
      '$argon2d$v=19$m=65536,t=3,p=1$c29tZXNhbHRzb21lc2FsdA$' + 'A'.repeat(43),
    ];
    for (const hash of refused) {
      const identity = identifyPasswordHash(hash);
      expect(identity.usable, hash).toBe(false);
      expect(identity.usable ? '' : identity.reason, hash).not.toBe('');
    }
  });

  it('verifies argon2i, Django, passlib sha512 and Werkzeug sha512 as their libraries made them', async () => {
    const hasher = createPasswordHasher(cheap);
    // Built here by each library's recipe (no fixture holds them): Django's text salt and base64
    // digest, Werkzeug's text salt and hex digest, passlib's adapted base64, and argon2i.
    const { pbkdf2Sync } = await import('node:crypto');
    const django = `pbkdf2_sha256$1000$saltsalt$${pbkdf2Sync('b4l0u', 'saltsalt', 1000, 32, 'sha256').toString('base64')}`;
    const werkzeug512 = `pbkdf2:sha512:1000$saltsalt$${pbkdf2Sync('b4l0u', 'saltsalt', 1000, 64, 'sha512').toString('hex')}`;
    const passlibSalt = Buffer.from('0123456789abcdef');
    const ab64 = (bytes: Buffer) => bytes.toString('base64').replaceAll('+', '.').replace(/=+$/, '');
    const passlib512 = `$pbkdf2-sha512$1000$${ab64(passlibSalt)}$${ab64(pbkdf2Sync('b4l0u', passlibSalt, 1000, 64, 'sha512'))}`;
    const { hash: argon2Hash } = await import('@node-rs/argon2');
    // 1 is Argon2i in the binding's const enum.
    const argon2i = await argon2Hash('b4l0u', { algorithm: 1, memoryCost: 64, timeCost: 1 });
    expect(identifyPasswordHash(argon2i)).toMatchObject({ format: 'argon2i' });
    for (const hash of [django, werkzeug512, passlib512, argon2i]) {
      expect(identifyPasswordHash(hash).usable, hash).toBe(true);
      expect(await hasher.verify('b4l0u', none(hash)), hash).toBe(true);
      expect(await hasher.verify('b4l0U', none(hash)), hash).toBe(false);
      expect(hasher.needsRehash(none(hash), 'none')).toBe(true);
    }
  });
});
