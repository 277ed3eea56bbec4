import { generateKeyPairSync } from 'node:crypto';
import type { LightMyRequestResponse } from 'fastify';
import { decodeJwt, decodeProtectedHeader, exportJWK, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, sessionCookieOf, type AppHarness } from '../../../test/support/harness.js';
import { testConfig } from '../../../test/support/test-config.js';

let h: AppHarness;
afterEach(async () => h.close());

async function setUp(overrides: Parameters<typeof testConfig>[0] = {}): Promise<AppHarness> {
  h = await createAppHarness(testConfig(overrides));
  await register('a@x.io', 'pw');
  return h;
}

function form(fields: Record<string, string>): { headers: Record<string, string>; payload: string } {
  return { headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams(fields).toString() };
}

async function register(email: string, password: string): Promise<void> {
  expect((await h.app.inject({ method: 'POST', url: '/users', ...form({ email, password }) })).statusCode).toBe(200);
}

interface Pair {
  access_token: string;
  refresh_token: string;
  token_type: string;
  expires_in: number;
}

const token = (fields: Record<string, string>) => h.app.inject({ method: 'POST', url: '/token', ...form(fields) });

async function passwordGrant(username = 'a@x.io', password = 'pw'): Promise<Pair> {
  const response = await token({ grant_type: 'password', username, password });
  expect(response.statusCode).toBe(200);
  return response.json<Pair>();
}

const refresh = (refreshToken: string) => token({ grant_type: 'refresh_token', refresh_token: refreshToken });

const profile = (accessToken: string) =>
  h.app.inject({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${accessToken}` } });

async function introspect(tokenValue: string, headers: Record<string, string> = {}): Promise<LightMyRequestResponse> {
  const request = form({ token: tokenValue });
  return h.app.inject({ method: 'POST', url: '/introspect', headers: { ...request.headers, ...headers }, payload: request.payload });
}

function expectOAuthError(response: LightMyRequestResponse, status: number, error: string): void {
  expect(response.statusCode).toBe(status);
  expect(response.json()).toEqual({ error, error_description: expect.any(String) as string });
}

function expectInvalidToken(response: LightMyRequestResponse): void {
  expect(response.statusCode).toBe(401);
  expect(response.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
  expect(response.json()).toEqual({ message: 'invalid or expired access token' });
}

describe('POST /token, password grant', () => {
  it('answers an RFC 6749 token response that no cache may keep', async () => {
    await setUp();
    const response = await token({ grant_type: 'password', username: 'a@x.io', password: 'pw' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['cache-control']).toBe('no-store');
    expect(response.headers.pragma).toBe('no-cache');
    const body = response.json<Pair>();
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'refresh_token', 'token_type']);
    expect(body).toMatchObject({ token_type: 'Bearer', expires_in: 900 });
    expect(body.refresh_token).toMatch(/^[A-Za-z0-9_-]{22}\.[A-Za-z0-9_-]{43}$/);
  });

  it('signs an RFC 9068 access token with every claim DESIGN.md lists', async () => {
    await setUp();
    const { access_token } = await passwordGrant();
    const header = decodeProtectedHeader(access_token);
    expect(header).toEqual({ alg: 'EdDSA', kid: h.keys.signingKey().kid, typ: 'at+jwt' });
    const claims = decodeJwt(access_token);
    const user = await h.store.findUserByEmailKey('a@x.io');
    expect(Object.keys(claims).sort()).toEqual(['aud', 'email', 'exp', 'fresh', 'iat', 'iss', 'jti', 'nbf', 'sid', 'sub', 'type']);
    // `type`, `fresh` and `nbf` as Flask-JWT-Extended reads them (docs/api-families.md).
    expect(claims).toMatchObject({ iss: 'https://sesame.test', aud: 'sesame', sub: user!.id, email: 'a@x.io', fresh: true, type: 'access', nbf: claims.iat });
    expect(claims.exp! - claims.iat!).toBe(900);
    expect(claims.iat).toBe(Math.floor(h.clock.now().getTime() / 1000));
  });

  it('accepts JSON, and the email in any case as the username', async () => {
    await setUp();
    const response = await h.app.inject({ method: 'POST', url: '/token', payload: { grant_type: 'password', username: ' A@X.io', password: 'pw' } });
    expect(response.statusCode).toBe(200);
  });

  it('answers wrong credentials and unknown users alike with invalid_grant', async () => {
    await setUp();
    const wrong = await token({ grant_type: 'password', username: 'a@x.io', password: 'nope' });
    const unknown = await token({ grant_type: 'password', username: 'b@x.io', password: 'pw' });
    expectOAuthError(wrong, 400, 'invalid_grant');
    expect(wrong.payload).toBe(unknown.payload);
  });

  it.each([
    [{ username: 'a@x.io', password: 'pw' }, 400, 'invalid_request', 'grant_type is required'],
    [{ grant_type: 'password', password: 'pw' }, 400, 'invalid_request', 'username is required for grant_type=password'],
    [{ grant_type: 'password', username: 'a@x.io' }, 400, 'invalid_request', 'password is required for grant_type=password'],
    [{ grant_type: 'refresh_token' }, 400, 'invalid_request', 'refresh_token is required for grant_type=refresh_token'],
    [{ grant_type: 'client_credentials' }, 400, 'unsupported_grant_type', 'grant_type must be password or refresh_token'],
    [{ grant_type: 'password', username: '', password: 'pw' }, 400, 'invalid_request', 'email is empty'],
  ])('refuses %j in the OAuth error shape', async (fields, status, error, description) => {
    await setUp();
    const response = await token(fields);
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ error, error_description: description });
  });

  it('answers malformed bodies in the OAuth error shape too', async () => {
    await setUp();
    const wrongType = await h.app.inject({ method: 'POST', url: '/token', headers: { 'content-type': 'text/plain' }, payload: 'x' });
    expectOAuthError(wrongType, 415, 'invalid_request');
    const repeated = await h.app.inject({
      method: 'POST',
      url: '/token',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'grant_type=password&grant_type=refresh_token',
    });
    expectOAuthError(repeated, 400, 'invalid_request');
  });

  it('starts a token session and leaves every other session alone', async () => {
    await setUp();
    const login = await h.app.inject({ method: 'POST', url: '/sessions', ...form({ email: 'a@x.io', password: 'pw' }) });
    const cookie = sessionCookieOf(login)!;
    const first = await passwordGrant();
    const second = await passwordGrant();
    expect(decodeJwt(first.access_token).sid).not.toBe(decodeJwt(second.access_token).sid);
    expect((await profile(first.access_token)).statusCode).toBe(200);
    expect((await profile(second.access_token)).statusCode).toBe(200);
    const byCookie = await h.app.inject({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${cookie}` } });
    expect(byCookie.statusCode).toBe(200);
  });

  it('adds custom claims without letting them override the standard ones', async () => {
    await setUp();
    await h.auth.setUserClaims('a@x.io', { role: 'admin', org: { id: 7 } });
    await h.store.setUserClaims((await h.store.findUserByEmailKey('a@x.io'))!.id, { sub: 'forged', role: 'admin' }, h.clock.now());
    const claims = decodeJwt((await passwordGrant()).access_token);
    expect(claims.role).toBe('admin');
    expect(claims.sub).not.toBe('forged');
    await expect(h.auth.setUserClaims('a@x.io', { email: 'other@x.io', iss: 'x' })).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'claims reserved by the token standards cannot be set: email, iss',
    });
  });
});

describe('POST /token, refresh grant', () => {
  it('rotates the refresh token and issues a not-fresh access token', async () => {
    await setUp();
    const first = await passwordGrant();
    const response = await refresh(first.refresh_token);
    expect(response.statusCode).toBe(200);
    const second = response.json<Pair>();
    expect(second.refresh_token).not.toBe(first.refresh_token);
    expect(decodeJwt(second.access_token)).toMatchObject({ fresh: false, sid: decodeJwt(first.access_token).sid });
    expect((await profile(second.access_token)).statusCode).toBe(200);
  });

  it('carries claims changed since the last token into the next one', async () => {
    await setUp();
    const first = await passwordGrant();
    await h.auth.setUserClaims('a@x.io', { plan: 'pro' });
    const next = (await refresh(first.refresh_token)).json<Pair>();
    expect(decodeJwt(next.access_token).plan).toBe('pro');
  });

  it('gives all of 20 concurrent refreshes with one token the same child, and the session stays usable', async () => {
    await setUp();
    const first = await passwordGrant();
    const responses = await Promise.all(Array.from({ length: 20 }, () => refresh(first.refresh_token)));
    expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
    const children = new Set(responses.map((response) => response.json<Pair>().refresh_token));
    expect(children.size).toBe(1);
    const [child] = children;
    const next = await refresh(child!);
    expect(next.statusCode).toBe(200);
    expect((await profile(next.json<Pair>().access_token)).statusCode).toBe(200);
  });

  it('gives the parent, presented again within the grace window, the same child', async () => {
    await setUp();
    const first = await passwordGrant();
    const child = (await refresh(first.refresh_token)).json<Pair>().refresh_token;
    h.clock.advanceSeconds(10);
    const again = await refresh(first.refresh_token);
    expect(again.statusCode).toBe(200);
    expect(again.json<Pair>().refresh_token).toBe(child);
  });

  it('ends the session, newest tokens included, when a used token comes back after the window', async () => {
    await setUp();
    const first = await passwordGrant();
    const second = (await refresh(first.refresh_token)).json<Pair>();
    h.clock.advanceSeconds(11);
    expectOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant');
    expectOAuthError(await refresh(second.refresh_token), 400, 'invalid_grant');
    expectInvalidToken(await profile(second.access_token));
  });

  it('ends the session when an older ancestor comes back', async () => {
    await setUp();
    const first = await passwordGrant();
    const second = (await refresh(first.refresh_token)).json<Pair>();
    h.clock.advanceSeconds(11);
    const third = (await refresh(second.refresh_token)).json<Pair>();
    h.clock.advanceSeconds(1);
    expectOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant');
    expectInvalidToken(await profile(third.access_token));
  });

  it('treats the parent as reuse at once when the grace window is 0', async () => {
    await setUp({ auth: { refreshGraceSeconds: 0 } });
    const first = await passwordGrant();
    const second = (await refresh(first.refresh_token)).json<Pair>();
    expectOAuthError(await refresh(first.refresh_token), 400, 'invalid_grant');
    expectInvalidToken(await profile(second.access_token));
  });

  it('refuses a forged refresh token for a real session without ending it', async () => {
    await setUp();
    const first = await passwordGrant();
    const sessionId = first.refresh_token.split('.')[0]!;
    expectOAuthError(await refresh(`${sessionId}.${'A'.repeat(43)}`), 400, 'invalid_grant');
    expectOAuthError(await refresh('not-a-token'), 400, 'invalid_grant');
    expect((await refresh(first.refresh_token)).statusCode).toBe(200);
  });

  it('refuses a refresh once the session has reached its absolute lifetime', async () => {
    await setUp({ auth: { sessionAbsoluteLifetimeSeconds: 3600, sessionIdleTimeoutSeconds: 3600 } });
    let pair = await passwordGrant();
    for (let minutes = 0; minutes < 45; minutes += 15) {
      h.clock.advanceSeconds(900);
      pair = (await refresh(pair.refresh_token)).json<Pair>();
    }
    h.clock.advanceSeconds(900);
    expectOAuthError(await refresh(pair.refresh_token), 400, 'invalid_grant');
  });

  it('refuses a refresh after a password change ended the session', async () => {
    await setUp();
    const pair = await passwordGrant();
    const other = await passwordGrant();
    const change = await h.app.inject({
      method: 'PUT',
      url: '/password',
      headers: { ...form({}).headers, authorization: `Bearer ${other.access_token}` },
      payload: 'password=pw&new_password=new',
    });
    expect(change.statusCode).toBe(200);
    expectOAuthError(await refresh(pair.refresh_token), 400, 'invalid_grant');
    expect((await refresh(other.refresh_token)).statusCode).toBe(200);
  });
});

describe('Bearer access tokens at Sesame', () => {
  it('answers /profile with the stored email', async () => {
    h = await createAppHarness();
    await register('Bob@Example.com', 'pw');
    const { access_token } = await passwordGrant('bob@example.com', 'pw');
    const response = await profile(access_token);
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'Bob@Example.com' });
  });

  it('refuses an expired token', async () => {
    await setUp();
    const { access_token } = await passwordGrant();
    h.clock.advanceSeconds(899);
    expect((await profile(access_token)).statusCode).toBe(200);
    h.clock.advanceSeconds(1);
    expectInvalidToken(await profile(access_token));
  });

  it('answers 403 without any credential and 401 for a malformed Bearer header', async () => {
    await setUp();
    expect((await h.app.inject({ method: 'GET', url: '/profile' })).statusCode).toBe(403);
    for (const authorization of ['Bearer', 'Bearer ', 'Bearer a b', 'bearer']) {
      expectInvalidToken(await h.app.inject({ method: 'GET', url: '/profile', headers: { authorization } }));
    }
  });

  it('ends its session on DELETE /sessions with 204', async () => {
    await setUp();
    const pair = await passwordGrant();
    const response = await h.app.inject({ method: 'DELETE', url: '/sessions', headers: { authorization: `Bearer ${pair.access_token}` } });
    expect(response.statusCode).toBe(204);
    expect(response.headers['set-cookie']).toBeUndefined();
    expectInvalidToken(await profile(pair.access_token));
    expectOAuthError(await refresh(pair.refresh_token), 400, 'invalid_grant');
    expect((await introspect(pair.access_token)).json()).toEqual({ active: false });
  });

  it('changes the password with PUT /password, keeping its own session', async () => {
    await setUp();
    const pair = await passwordGrant();
    const change = (password: string) =>
      h.app.inject({
        method: 'PUT',
        url: '/password',
        headers: { ...form({}).headers, authorization: `Bearer ${pair.access_token}` },
        payload: new URLSearchParams({ password, new_password: 'new' }).toString(),
      });
    const wrong = await change('nope');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ message: 'wrong email or password' });
    expect((await change('pw')).statusCode).toBe(200);
    expect((await profile(pair.access_token)).statusCode).toBe(200);
    const withoutToken = await h.app.inject({
      method: 'PUT',
      url: '/password',
      headers: { ...form({}).headers, authorization: 'Bearer x.y.z' },
      payload: 'password=new&new_password=newer',
    });
    expect(withoutToken.statusCode).toBe(401);
  });
});

describe('forged and misused access tokens', () => {
  const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');

  function claimsOf(accessToken: string) {
    const { kid } = decodeProtectedHeader(accessToken);
    return { header: { alg: 'EdDSA', kid: kid!, typ: 'at+jwt' }, payload: decodeJwt(accessToken) };
  }

  it.each(['none', 'None', 'NONE', 'nOnE'])('refuses alg: %s', async (alg) => {
    await setUp();
    const { header, payload } = claimsOf((await passwordGrant()).access_token);
    expectInvalidToken(await profile(`${b64({ ...header, alg })}.${b64(payload)}.`));
  });

  it('refuses HS256 keyed with our public key, in JWK and PEM form', async () => {
    await setUp();
    const { header, payload } = claimsOf((await passwordGrant()).access_token);
    const jwks = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: object[] }>();
    const pem = h.keys.signingKey().publicKey.export({ type: 'spki', format: 'pem' }).toString();
    for (const secret of [JSON.stringify(jwks.keys[0]), pem]) {
      const forged = await new SignJWT(payload).setProtectedHeader({ ...header, alg: 'HS256' }).sign(new TextEncoder().encode(secret));
      expectInvalidToken(await profile(forged));
    }
  });

  it('refuses a bit-flipped signature and a swapped payload', async () => {
    await setUp();
    await register('b@x.io', 'pw');
    const mine = (await passwordGrant()).access_token;
    const theirs = (await passwordGrant('b@x.io', 'pw')).access_token;
    const [header, payload, signature] = mine.split('.') as [string, string, string];
    const bytes = Buffer.from(signature, 'base64url');
    bytes[0] = bytes[0]! ^ 1;
    expectInvalidToken(await profile(`${header}.${payload}.${bytes.toString('base64url')}`));
    expectInvalidToken(await profile(`${header}.${theirs.split('.')[1]}.${signature}`));
  });

  it('refuses an unknown kid, and an attacker key embedded as a jwk header', async () => {
    await setUp();
    const { header, payload } = claimsOf((await passwordGrant()).access_token);
    const attacker = generateKeyPairSync('ed25519');
    const unknownKid = await new SignJWT(payload).setProtectedHeader({ ...header, kid: 'attacker' }).sign(attacker.privateKey);
    expectInvalidToken(await profile(unknownKid));
    const embedded = await new SignJWT(payload)
      .setProtectedHeader({ ...header, jwk: await exportJWK(attacker.publicKey) })
      .sign(attacker.privateKey);
    expectInvalidToken(await profile(embedded));
    const embeddedOnly = await new SignJWT(payload)
      .setProtectedHeader({ alg: 'EdDSA', typ: 'at+jwt', jwk: await exportJWK(attacker.publicKey) })
      .sign(attacker.privateKey);
    expectInvalidToken(await profile(embeddedOnly));
  });

  it('refuses a token of ours with the wrong audience, issuer or type', async () => {
    await setUp();
    const { header, payload } = claimsOf((await passwordGrant()).access_token);
    const key = h.keys.signingKey().privateKey;
    const sign = (claims: object, headers: object = {}) => new SignJWT({ ...payload, ...claims }).setProtectedHeader({ ...header, ...headers }).sign(key);
    expect((await profile(await sign({}))).statusCode).toBe(200);
    expectInvalidToken(await profile(await sign({ aud: 'another-service' })));
    expectInvalidToken(await profile(await sign({ iss: 'https://evil.test' })));
    expectInvalidToken(await profile(await sign({}, { typ: 'JWT' })));
    expectInvalidToken(await profile(await sign({ nbf: payload.iat! + 60 })));
  });

  it('refuses a refresh token used as an access token', async () => {
    await setUp();
    const { refresh_token } = await passwordGrant();
    expectInvalidToken(await profile(refresh_token));
  });
});

describe('POST /revoke', () => {
  it('ends the session of a refresh token or an access token, and answers 200 for unknown tokens', async () => {
    await setUp();
    const byRefresh = await passwordGrant();
    const byAccess = await passwordGrant();
    const revoke = (value: string) => h.app.inject({ method: 'POST', url: '/revoke', ...form({ token: value }) });

    expect((await revoke(byRefresh.refresh_token)).statusCode).toBe(200);
    expectInvalidToken(await profile(byRefresh.access_token));
    expectOAuthError(await refresh(byRefresh.refresh_token), 400, 'invalid_grant');

    expect((await revoke(byAccess.access_token)).statusCode).toBe(200);
    expectInvalidToken(await profile(byAccess.access_token));
    expect((await introspect(byAccess.refresh_token)).json()).toEqual({ active: false });

    const unknown = await revoke('whatever');
    expect(unknown.statusCode).toBe(200);
    expect(unknown.json()).toEqual({});
    expectOAuthError(await h.app.inject({ method: 'POST', url: '/revoke', ...form({}) }), 400, 'invalid_request');
  });

  it('does not let a guessed refresh token for a known session end it', async () => {
    await setUp();
    const pair = await passwordGrant();
    const sessionId = pair.refresh_token.split('.')[0]!;
    await h.app.inject({ method: 'POST', url: '/revoke', ...form({ token: `${sessionId}.${'B'.repeat(43)}` }) });
    expect((await profile(pair.access_token)).statusCode).toBe(200);
  });
});

describe('POST /introspect', () => {
  it('describes a live access token with its claims, and sees revocations', async () => {
    await setUp();
    await h.auth.setUserClaims('a@x.io', { role: 'admin' });
    const pair = await passwordGrant();
    const response = await introspect(pair.access_token);
    expect(response.statusCode).toBe(200);
    const claims = decodeJwt(pair.access_token);
    expect(response.json()).toEqual({ ...claims, active: true, token_type: 'access_token' });
    await h.app.inject({ method: 'POST', url: '/revoke', ...form({ token: pair.refresh_token }) });
    expect((await introspect(pair.access_token)).json()).toEqual({ active: false });
  });

  it('describes the current refresh token, but not a used one', async () => {
    await setUp();
    const first = await passwordGrant();
    const second = (await refresh(first.refresh_token)).json<Pair>();
    expect((await introspect(second.refresh_token)).json()).toMatchObject({ active: true, token_type: 'refresh_token', email: 'a@x.io' });
    expect((await introspect(first.refresh_token)).json()).toEqual({ active: false });
    expect((await introspect('garbage')).json()).toEqual({ active: false });
  });

  it('requires the introspection token when one is configured', async () => {
    const secret = 'i'.repeat(40);
    await setUp({ auth: { introspectionToken: secret } });
    const { access_token } = await passwordGrant();
    for (const headers of [{}, { authorization: 'Bearer wrong' }, { authorization: `Bearer ${access_token}` }]) {
      const refused = await introspect(access_token, headers);
      expectOAuthError(refused, 401, 'invalid_client');
      expect(refused.headers['www-authenticate']).toBe('Bearer');
    }
    const allowed = await introspect(access_token, { authorization: `Bearer ${secret}` });
    expect(allowed.json()).toMatchObject({ active: true });
  });
});

describe('GET /.well-known/jwks.json', () => {
  it('publishes public keys only, and keeps a rotated-out key until its tokens have expired', async () => {
    await setUp({ auth: { sessionIdleTimeoutSeconds: 7200 } });
    const oldKid = h.keys.signingKey().kid;
    const { kid: newKid } = await h.keys.rotate();
    const jwks = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: Array<Record<string, unknown>> }>();
    expect(jwks.keys.map((key) => key.kid)).toEqual([newKid, oldKid]);
    for (const key of jwks.keys) expect(Object.keys(key).sort()).toEqual(['alg', 'crv', 'kid', 'kty', 'use', 'x']);

    h.clock.advanceSeconds(119);
    const old = (await passwordGrant()).access_token;
    expect(decodeProtectedHeader(old).kid).toBe(oldKid);
    h.clock.advanceSeconds(1);
    const fresh = (await passwordGrant()).access_token;
    expect(decodeProtectedHeader(fresh).kid).toBe(newKid);
    expect((await profile(old)).statusCode).toBe(200);

    // The old key verifies until the old token expires.
    h.clock.advanceSeconds(898);
    expect((await profile(old)).statusCode).toBe(200);
    h.clock.advanceSeconds(1);
    expectInvalidToken(await profile(old));
    expect((await profile(fresh)).statusCode).toBe(200);
    h.clock.advanceSeconds(61);
    const later = (await h.app.inject({ method: 'GET', url: '/.well-known/jwks.json' })).json<{ keys: Array<{ kid: string }> }>();
    expect(later.keys.map((key) => key.kid)).toEqual([newKid]);
  });

  it('never lets an access token outlive its session', async () => {
    await setUp({ auth: { sessionAbsoluteLifetimeSeconds: 1000 } });
    const first = await passwordGrant();
    expect(first.expires_in).toBe(900);
    h.clock.advanceSeconds(400);
    const next = (await refresh(first.refresh_token)).json<Pair>();
    expect(next.expires_in).toBe(600);
    const claims = decodeJwt(next.access_token);
    expect(claims.exp! - claims.iat!).toBe(600);
  });
});
