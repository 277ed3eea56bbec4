import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createPasswordHasher, type PasswordHashingConfig } from './password-hasher.js';

const cheap: PasswordHashingConfig = { memoryKib: 64, iterations: 1, parallelism: 1, concurrency: 2, queueLimit: 100 };

const pythonBcrypt = JSON.parse(readFileSync(new URL('../../test/fixtures/python-bcrypt.json', import.meta.url), 'utf8')) as {
  hashes: Array<{ password: string; hash: string }>;
};

describe('password hasher', () => {
  it('hashes with argon2id at the configured cost and verifies exactly', async () => {
    const hasher = createPasswordHasher(cheap);
    const stored = await hasher.hash('correct horse', 'none');
    expect(stored.hash).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    expect(stored.normalization).toBe('none');
    expect(await hasher.verify('correct horse', stored)).toBe(true);
    expect(await hasher.verify('correct horsE', stored)).toBe(false);
    expect(await hasher.verify('correct horse ', stored)).toBe(false);
  });

  it('verifies the whole password, never a prefix of it', async () => {
    const hasher = createPasswordHasher(cheap);
    const long = 'x'.repeat(200);
    const stored = await hasher.hash(long, 'none');
    expect(await hasher.verify(long, stored)).toBe(true);
    expect(await hasher.verify(`${long}y`, stored)).toBe(false);
    expect(await hasher.verify(long.slice(0, 72), stored)).toBe(false);
  });

  it.each(pythonBcrypt.hashes)('verifies a bcrypt hash made by Python ($hash)', async ({ password, hash }) => {
    const hasher = createPasswordHasher(cheap);
    expect(await hasher.verify(password, { hash, normalization: 'none' })).toBe(true);
    expect(await hasher.verify(`${password}!`, { hash, normalization: 'none' })).toBe(false);
  });

  it('verifies the $2y$ spelling of a bcrypt hash', async () => {
    const hasher = createPasswordHasher(cheap);
    const [first] = pythonBcrypt.hashes;
    const hash = first!.hash.replace('$2b$', '$2y$');
    expect(await hasher.verify(first!.password, { hash, normalization: 'none' })).toBe(true);
  });

  it('matches nothing against a hash it does not understand', async () => {
    const hasher = createPasswordHasher(cheap);
    for (const hash of ['', 'b4l0u', '$argon2id$garbage', '$2b$12$short', '$pbkdf2$whatever']) {
      expect(await hasher.verify('b4l0u', { hash, normalization: 'none' })).toBe(false);
    }
  });

  it('needs a rehash for bcrypt, another argon2 cost, or another normalisation', async () => {
    const hasher = createPasswordHasher(cheap);
    const current = await hasher.hash('pw', 'none');
    expect(hasher.needsRehash(current, 'none')).toBe(false);
    expect(hasher.needsRehash(current, 'nfkc')).toBe(true);
    expect(hasher.needsRehash({ hash: pythonBcrypt.hashes[0]!.hash, normalization: 'none' }, 'none')).toBe(true);
    const stronger = createPasswordHasher({ ...cheap, memoryKib: 128 });
    expect(stronger.needsRehash(current, 'none')).toBe(true);
  });

  it('verifies NFKC-normalised hashes with the normalisation they record', async () => {
    const hasher = createPasswordHasher(cheap);
    // U+FB01 (the "ﬁ" ligature) is "fi" under NFKC.
    const stored = await hasher.hash('\uFB01sh', 'nfkc');
    expect(stored.normalization).toBe('nfkc');
    expect(await hasher.verify('fish', stored)).toBe(true);
    expect(await hasher.verify('\uFB01sh', stored)).toBe(true);
    const exact = await hasher.hash('\uFB01sh', 'none');
    expect(await hasher.verify('fish', exact)).toBe(false);
  });

  it('answers false for unknown users after doing a full verification', async () => {
    const hasher = createPasswordHasher({ ...cheap, concurrency: 1, queueLimit: 0 });
    expect(await hasher.verifyNothing('anything')).toBe(false);
    // The dummy check goes through the same bounded queue as real ones.
    const busy = hasher.hash('pw', 'none');
    await expect(hasher.verifyNothing('anything')).rejects.toMatchObject({ code: 'overloaded' });
    await busy;
  });

  it('still checks passwords while new-password hashes fill their queue, and the reverse', async () => {
    const hasher = createPasswordHasher({ ...cheap, concurrency: 1, queueLimit: 2 });
    const stored = await hasher.hash('pw', 'none');
    const outcomes = (promises: Array<Promise<unknown>>) =>
      Promise.allSettled(promises).then((settled) => settled.map((outcome) => (outcome.status === 'fulfilled' ? 'done' : 'overloaded')));

    const signUps = outcomes(Array.from({ length: 10 }, () => hasher.hash('new', 'none')));
    const logIns = outcomes([hasher.verify('pw', stored), hasher.verifyNothing('pw')]);
    expect(await logIns).toEqual(['done', 'done']);
    expect(await signUps).toEqual([...Array<string>(3).fill('done'), ...Array<string>(7).fill('overloaded')]);

    const checks = outcomes(Array.from({ length: 10 }, () => hasher.verify('guess', stored)));
    const reset = outcomes([hasher.hash('reset', 'none')]);
    expect(await reset).toEqual(['done']);
    expect(await checks).toEqual([...Array<string>(3).fill('done'), ...Array<string>(7).fill('overloaded')]);
  });
});
