import { createLocalJWKSet, decodeProtectedHeader, jwtVerify } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { TestClock } from '../../test/support/test-clock.js';
import { tempDatabasePath } from '../../test/support/test-config.js';
import { openStore, type EngineStore } from '../store/open-store.js';
import { createAccessTokenVerifier, signAccessToken, type AccessTokenConfig } from './access-tokens.js';
import { openKeyRing, type KeyRing } from './signing-keys.js';

const BASE64URL = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const config: AccessTokenConfig = { issuer: 'https://auth.example.test', audience: 'api', accessTokenTtlSeconds: 900 };

let store: EngineStore;
let clock: TestClock;
let keys: KeyRing;
// The ring as the verifier sees it, with a switch that takes every key out of it.
let keysWithdrawn: boolean;
let verifierKeys: KeyRing;

beforeEach(async () => {
  store = await openStore({ engine: 'sqlite', path: tempDatabasePath() });
  await store.migrate();
  clock = new TestClock();
  keys = await openKeyRing(store, clock, {
    algorithm: 'EdDSA',
    configuredSigningKeys: null,
    configuredRefreshKey: null,
    encryptionKey: null,
    accessTokenTtlSeconds: config.accessTokenTtlSeconds,
  });
  keysWithdrawn = false;
  verifierKeys = { ...keys, verificationKey: async (kid) => (keysWithdrawn ? null : keys.verificationKey(kid)) };
});
afterEach(async () => store.close());

async function sign(): Promise<string> {
  const claims = { userId: 'user-1', sessionId: 'session-1', email: 'a@x.io', fresh: true, custom: null, sessionEndsAt: new Date(clock.now().getTime() + 86_400_000) };
  return (await signAccessToken(keys, clock, config, claims)).token;
}

describe('the access-token verifier', () => {
  it('accepts a token again and again, and refuses it from the second its lifetime ends', async () => {
    const verify = createAccessTokenVerifier(verifierKeys, clock, config);
    const token = await sign();
    expect(await verify(token)).toMatchObject({ sub: 'user-1', sid: 'session-1', email: 'a@x.io' });
    clock.advanceSeconds(899);
    expect(await verify(token)).toMatchObject({ sid: 'session-1' });
    clock.advanceSeconds(1);
    expect(await verify(token)).toBeNull();
  });

  it('refuses a token it has accepted once the key that signed it may no longer verify', async () => {
    const verify = createAccessTokenVerifier(verifierKeys, clock, config);
    const token = await sign();
    expect(await verify(token)).not.toBeNull();
    keysWithdrawn = true;
    expect(await verify(token)).toBeNull();
    keysWithdrawn = false;
    expect(await verify(token)).not.toBeNull();
  });

  it('checks a token that differs from an accepted one by a character afresh, and refuses it', async () => {
    const verify = createAccessTokenVerifier(verifierKeys, clock, config);
    const token = await sign();
    expect(await verify(token)).not.toBeNull();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const flipped = `${signature.slice(0, 10)}${signature[10] === 'A' ? 'B' : 'A'}${signature.slice(11)}`;
    expect(await verify(`${header}.${payload}.${flipped}`)).toBeNull();
    expect(await verify(`${header}.${payload.slice(0, -1)}.${signature}`)).toBeNull();
  });
  it.each([
    ['padding after the signature', (signature: string) => `${signature}=`],
    ['two padding characters', (signature: string) => `${signature}==`],
    // An Ed25519 signature is 64 bytes: its last base64url character carries 4 unused bits.
    ['stray bits in the last character', (signature: string) => `${signature.slice(0, -1)}${BASE64URL[BASE64URL.indexOf(signature.at(-1)!) | 1]}`],
  ])('refuses a token whose signature is spelt with %s, though its bytes are the same', async (_case, respell) => {
    const verify = createAccessTokenVerifier(verifierKeys, clock, config);
    const token = await sign();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const respelt = respell(signature);
    expect(respelt).not.toBe(signature);
    expect(Buffer.from(respelt, 'base64url')).toEqual(Buffer.from(signature, 'base64url'));
    expect(await verify(`${header}.${payload}.${respelt}`)).toBeNull();
    expect(await verify(token)).not.toBeNull();
  });
});

describe('access-token signing', () => {
  it.each(['EdDSA', 'ES256', 'RS256'] as const)('signs %s tokens that jose verifies with the published keys alone', async (algorithm) => {
    const own = await openStore({ engine: 'sqlite', path: tempDatabasePath() });
    await own.migrate();
    const ring = await openKeyRing(own, clock, { algorithm, configuredSigningKeys: null, configuredRefreshKey: null, encryptionKey: null, accessTokenTtlSeconds: 900 });
    const custom = { plan: 'pro', sub: 'someone-else', iss: 'https://evil.example' };
    const claims = { userId: 'user-1', sessionId: 'session-1', email: 'a@x.io', fresh: false, custom, sessionEndsAt: new Date(clock.now().getTime() + 600_000) };
    const { token, expiresInSeconds } = await signAccessToken(ring, clock, config, claims);
    expect(decodeProtectedHeader(token)).toEqual({ alg: algorithm, kid: ring.signingKey().kid, typ: 'at+jwt' });
    const { payload } = await jwtVerify(token, createLocalJWKSet(ring.jwks()), {
      algorithms: [algorithm],
      typ: 'at+jwt',
      issuer: config.issuer,
      audience: config.audience,
      currentDate: clock.now(),
    });
    const now = Math.floor(clock.now().getTime() / 1000);
    // Custom claims never replace a standard one; the session's end caps the lifetime.
    expect(payload).toEqual({
      plan: 'pro',
      sid: 'session-1',
      email: 'a@x.io',
      fresh: false,
      type: 'access',
      iss: config.issuer,
      aud: config.audience,
      sub: 'user-1',
      jti: expect.any(String) as string,
      iat: now,
      nbf: now,
      exp: now + 600,
    });
    expect(expiresInSeconds).toBe(600);
    await own.close();
  });
});
