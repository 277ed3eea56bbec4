import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../test/support/test-clock.js';
import { tempDatabasePath } from '../../test/support/test-config.js';
import { openStore, type EngineStore } from '../store/open-store.js';
import { openKeyRing, type KeyRingConfig } from './signing-keys.js';

const base: KeyRingConfig = {
  algorithm: 'EdDSA',
  configuredSigningKeys: null,
  configuredRefreshKey: null,
  encryptionKey: null,
  accessTokenTtlSeconds: 900,
};

let store: EngineStore;
let clock: TestClock;
beforeEach(async () => {
  store = await openStore({ engine: 'sqlite', path: tempDatabasePath() });
  await store.migrate();
  clock = new TestClock();
});
afterEach(async () => store.close());

describe('the key ring', () => {
  it('generates one signing key and one refresh key, shared by rings opened together', async () => {
    const rings = await Promise.all(Array.from({ length: 5 }, () => openKeyRing(store, clock, base)));
    const kids = new Set(rings.map((ring) => ring.signingKey().kid));
    expect(kids.size).toBe(1);
    expect(new Set(rings.map((ring) => ring.refreshKey().toString('hex'))).size).toBe(1);
    expect(rings[0]!.refreshKey()).toHaveLength(32);
    const stored = await store.listKeys();
    expect(stored.map((key) => key.purpose).sort()).toEqual(['refresh', 'signing']);
  });

  it('publishes only public keys, each bound to one algorithm', async () => {
    const ring = await openKeyRing(store, clock, base);
    const { keys } = ring.jwks();
    expect(keys).toHaveLength(1);
    expect(keys[0]).toEqual({ kty: 'OKP', crv: 'Ed25519', x: expect.any(String) as string, kid: ring.signingKey().kid, alg: 'EdDSA', use: 'sig' });
  });

  it.each(['ES256', 'RS256'] as const)('generates %s keys when asked', async (algorithm) => {
    const ring = await openKeyRing(store, clock, { ...base, algorithm });
    expect(ring.signingKey().algorithm).toBe(algorithm);
    expect(ring.jwks().keys[0]).toMatchObject({ alg: algorithm, kty: algorithm === 'ES256' ? 'EC' : 'RSA' });
    expect(ring.jwks().keys[0]).not.toHaveProperty('d');
  });

  it('publishes a new key at once, signs with it two minutes later, and drops the old one when its tokens have expired', async () => {
    const ring = await openKeyRing(store, clock, base);
    const old = ring.signingKey().kid;
    const { kid: fresh, signsFrom } = await ring.rotate();
    expect(signsFrom).toEqual(new Date(clock.now().getTime() + 120_000));
    expect(ring.jwks().keys.map((key) => key.kid)).toEqual([fresh, old]);
    expect(await ring.verificationKey(fresh)).not.toBeNull();
    // Every instance reloads within a minute; clocks may be a minute apart.
    clock.advanceSeconds(119);
    expect(ring.signingKey().kid).toBe(old);
    clock.advanceSeconds(1);
    expect(ring.signingKey().kid).toBe(fresh);
    // The old key's last tokens live one TTL (and the clock skew) longer.
    clock.advanceSeconds(900 + 60 - 1);
    expect(await ring.verificationKey(old)).not.toBeNull();
    clock.advanceSeconds(1);
    expect(await ring.verificationKey(old)).toBeNull();
    expect(ring.jwks().keys.map((key) => key.kid)).toEqual([fresh]);
  });

  it('warns when the configured algorithm is not the signing key\'s', async () => {
    await openKeyRing(store, clock, base);
    const ring = await openKeyRing(store, clock, { ...base, algorithm: 'ES256' });
    expect(ring.signingKey().algorithm).toBe('EdDSA');
    expect(ring.warnings).toEqual(['SESAME_JWT_ALGORITHM is ES256 but the signing key is EdDSA: run `sesame keys rotate` to switch']);
    await ring.rotate();
    clock.advanceSeconds(120);
    expect(ring.signingKey().algorithm).toBe('ES256');
  });

  it("finds a key another instance rotated in when a token names it, without reloading for every unknown kid", async () => {
    const first = await openKeyRing(store, clock, base);
    const second = await openKeyRing(store, clock, base);
    const { kid: rotated } = await second.rotate();
    // Loaded a moment ago: the reload gap keeps forged kids from hammering the store.
    clock.advanceSeconds(4);
    expect(await first.verificationKey(rotated)).toBeNull();
    clock.advanceSeconds(1);
    expect(await first.verificationKey(rotated)).not.toBeNull();
    clock.advanceSeconds(120);
    expect(first.signingKey().kid).toBe(rotated);
    expect(await first.verificationKey('no-such-kid')).toBeNull();
  });

  it('seals private keys at rest under the key-encryption key, and needs it to open them', async () => {
    const encryptionKey = randomBytes(32);
    const ring = await openKeyRing(store, clock, { ...base, encryptionKey });
    for (const key of await store.listKeys()) {
      expect(key.privateMaterial).toMatch(/^sealed:v1:/);
      expect(key.privateMaterial).not.toContain('PRIVATE KEY');
    }
    const again = await openKeyRing(store, clock, { ...base, encryptionKey });
    expect(again.signingKey().kid).toBe(ring.signingKey().kid);
    expect(again.refreshKey().equals(ring.refreshKey())).toBe(true);
    await expect(openKeyRing(store, clock, base)).rejects.toThrow(/set SESAME_KEY_ENCRYPTION_KEY/);
    await expect(openKeyRing(store, clock, { ...base, encryptionKey: randomBytes(32) })).rejects.toThrow(
      /does not open the stored key/,
    );
  });

  it('warns about keys stored before encryption was turned on, and keeps using them', async () => {
    const plain = await openKeyRing(store, clock, base);
    const sealed = await openKeyRing(store, clock, { ...base, encryptionKey: randomBytes(32) });
    expect(sealed.signingKey().kid).toBe(plain.signingKey().kid);
    expect(sealed.warnings).toHaveLength(2);
    expect(sealed.warnings[0]).toMatch(/is not encrypted/);
  });

  describe('configured keys', () => {
    const ed25519 = () => generateKeyPairSync('ed25519').privateKey;

    it('signs with a configured PEM key and stores no signing key', async () => {
      const pem = ed25519().export({ type: 'pkcs8', format: 'pem' }).toString();
      const ring = await openKeyRing(store, clock, { ...base, configuredSigningKeys: pem });
      expect(ring.signingKey().algorithm).toBe('EdDSA');
      expect((await store.listKeys()).map((key) => key.purpose)).toEqual(['refresh']);
      await expect(ring.rotate()).rejects.toThrow(/rotate them there/);
    });

    it('publishes every key of a configured JWK Set and signs with the first', async () => {
      const ec = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ format: 'jwk' });
      const ed = ed25519().export({ format: 'jwk' });
      const set = JSON.stringify({ keys: [{ ...ec, kid: 'current' }, { ...ed, kid: 'previous', alg: 'EdDSA' }] });
      const ring = await openKeyRing(store, clock, { ...base, configuredSigningKeys: set, configuredRefreshKey: randomBytes(32) });
      expect(ring.signingKey()).toMatchObject({ kid: 'current', algorithm: 'ES256' });
      expect(ring.jwks().keys.map((key) => key.kid)).toEqual(['current', 'previous']);
      expect(await store.listKeys()).toEqual([]);
    });

    it.each([
      ['not a key', /neither a PEM private key, a private JWK nor a JWK Set/],
      [JSON.stringify({ kty: 'OKP', crv: 'Ed25519', x: 'abc' }), /must be a private key/],
      [JSON.stringify({ ...generateKeyPairSync('ed25519').privateKey.export({ format: 'jwk' }), alg: 'RS256' }), /says alg RS256, but it is a EdDSA key/],
      [generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(), /2048 bits or more/],
    ])('refuses an unusable configured key (%#)', async (text, message) => {
      await expect(openKeyRing(store, clock, { ...base, configuredSigningKeys: text })).rejects.toThrow(message);
    });
  });
});
