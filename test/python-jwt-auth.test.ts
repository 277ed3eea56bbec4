import { generateKeyPairSync } from 'node:crypto';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { decodeJwt, decodeProtectedHeader, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, createTestDatabase, describeEngines, type Engine, type TestDatabase } from './support/databases.js';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { testConfig, type ConfigOverrides } from './support/test-config.js';

/** A harness serving every family over `database`, with registrations unlimited (a suite registers many users). */
function familyHarness(database: TestDatabase, overrides: ConfigOverrides = {}): Promise<AppHarness> {
  return createAppHarness(
    testConfig({
      ...overrides,
      database: database.config,
      http: { apis: ['session', 'token', 'python-jwt-auth', 'flask-jwt-course'] },
      auth: { ...overrides.auth, limits: { clientRegistrations: 1_000_000 } },
    }),
  );
}

let counter = 0;
const freshEmail = () => `pja-${++counter}-${Date.now()}@example.com`;

const json = (payload: unknown): Pick<InjectOptions, 'headers' | 'payload'> => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(payload),
});

function expectAnswer(response: LightMyRequestResponse, status: number, body: unknown): void {
  expect({ status: response.statusCode, body: response.json<unknown>() }).toEqual({ status, body });
}

const failedBody = (message: string) => ({ status: 'failed', message });

describeEngines(ALL_ENGINES, 'the python-jwt-auth API on %s', (engine: Engine) => {
  let database: TestDatabase;
  let h: AppHarness;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    h = await familyHarness(database);
  });
  afterAll(async () => {
    await h.close();
    await database.drop();
  });

  const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
    h.app.inject({ method: 'POST', url, ...json(payload), headers: { 'content-type': 'application/json', ...headers } });
  const user = (authorization?: string) => h.app.inject({ method: 'GET', url: '/auth/user', headers: authorization === undefined ? {} : { authorization } });
  const logout = (authorization?: string) => h.app.inject({ method: 'POST', url: '/auth/logout', headers: authorization === undefined ? {} : { authorization } });

  async function signUp(email = freshEmail(), password = 'pw', name = 'Ada'): Promise<{ email: string; token: string }> {
    const response = await post('/auth/signup', { email, password, name });
    expect(response.statusCode).toBe(201);
    return { email, token: response.json<{ jwt_token: string }>().jwt_token };
  }

  async function logIn(email: string, password = 'pw'): Promise<string> {
    const response = await post('/auth/login', { email, password });
    expect(response.statusCode).toBe(200);
    return response.json<{ jwt_token: string }>().jwt_token;
  }

  it('row 1: GET /auth/ping answers that the APIs are up', async () => {
    expectAnswer(await h.app.inject({ method: 'GET', url: '/auth/ping' }), 200, { status: 'success', message: 'APIs are up and running' });
  });

  it('row 2: POST /auth/signup registers and answers 201 with a token; the name is kept as a claim', async () => {
    const email = freshEmail();
    const response = await post('/auth/signup', { email, password: 'pw', name: 'Ada Lovelace', extra: 'ignored' });
    expect(response.statusCode).toBe(201);
    const body = response.json<{ jwt_token: string }>();
    expect(body).toEqual({ status: 'success', message: 'User signed up successful.', jwt_token: expect.any(String) as string });
    const stored = await h.store.findUserByEmailKey(email);
    expect(stored?.claims).toEqual({ name: 'Ada Lovelace' });
    expect(decodeJwt(body.jwt_token)).toMatchObject({ sub: stored!.id, name: 'Ada Lovelace', fresh: true, type: 'access' });
  });

  it('row 2: a missing field, a null field and an email registered in any case are refused in the original words', async () => {
    expectAnswer(await post('/auth/signup', { email: freshEmail(), password: 'pw' }), 400, failedBody('Required fields are missing.'));
    expectAnswer(await post('/auth/signup', { email: freshEmail(), password: null, name: 'x' }), 400, failedBody('One or more required fields are null'));
    const { email } = await signUp();
    expectAnswer(await post('/auth/signup', { email: email.toUpperCase(), password: 'pw', name: 'B' }), 202, failedBody('User already exists.'));
  });

  it('row 2, deviations: what crashed the original is a 400 in the family shape', async () => {
    const refused = [
      await h.app.inject({ method: 'POST', url: '/auth/signup', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.io&password=pw&name=x' }),
      await h.app.inject({ method: 'POST', url: '/auth/signup' }),
      await h.app.inject({ method: 'POST', url: '/auth/signup', headers: { 'content-type': 'application/json' }, payload: '{"email":' }),
      await post('/auth/signup', ['email', 'password', 'name']),
      await post('/auth/signup', { email: freshEmail(), password: 12, name: 'x' }),
      await post('/auth/signup', { email: `${'a'.repeat(320)}@x.io`, password: 'pw', name: 'x' }),
      await post('/auth/signup', { email: 'no-at-sign', password: 'pw', name: 'x' }),
    ];
    for (const response of refused) {
      expect(response.statusCode).toBe(400);
      expect(response.json()).toEqual({ status: 'failed', message: expect.any(String) as string });
    }
  });

  it('row 3: POST /auth/login answers 200 with a new token session each time', async () => {
    const { email } = await signUp();
    const response = await post('/auth/login', { email: ` ${email.toUpperCase()}`, password: 'pw' });
    expect(response.statusCode).toBe(200);
    const first = response.json<{ jwt_token: string }>();
    expect(first).toEqual({ status: 'success', message: 'User login successful.', jwt_token: expect.any(String) as string });
    // Two log-ins in the same second are two sessions (the original gave the same string twice).
    const second = await logIn(email);
    expect(second).not.toBe(first.jwt_token);
    expect(decodeJwt(second).sid).not.toBe(decodeJwt(first.jwt_token).sid);
    expectAnswer(await logout(`Bearer ${second}`), 200, { status: 'success', message: 'Logout Successful' });
    expect((await user(`Bearer ${first.jwt_token}`)).statusCode).toBe(200);
  });

  it('row 3: an unknown email is 404 "User not found", a wrong password 401, a missing field 401 (compat)', async () => {
    const { email } = await signUp();
    expectAnswer(await post('/auth/login', { email: freshEmail(), password: 'pw' }), 404, failedBody('User not found'));
    expectAnswer(await post('/auth/login', { email, password: 'wrong' }), 401, failedBody('Incorrect Password'));
    expectAnswer(await post('/auth/login', { email }), 401, failedBody('Email / Password missing'));
    expectAnswer(await post('/auth/login', { password: 'pw' }), 401, failedBody('Email / Password missing'));
  });

  it('row 3, deviations: no body, a null body or a form body is a 400, not the original 500', async () => {
    for (const response of [
      await h.app.inject({ method: 'POST', url: '/auth/login' }),
      await h.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/json' }, payload: 'null' }),
      await h.app.inject({ method: 'POST', url: '/auth/login', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'email=a%40b.io&password=pw' }),
    ]) {
      expect(response.statusCode).toBe(400);
      expect(response.json<{ status: string }>().status).toBe('failed');
    }
  });

  it('row 3 in strict (SESAME_UNKNOWN_ACCOUNT_AT_LOGIN=same): an unknown email gets the wrong password\'s 401', async () => {
    const strict = await familyHarness(database, { auth: { unknownAccountAtLogin: 'same' } });
    try {
      const response = await strict.app.inject({ method: 'POST', url: '/auth/login', ...json({ email: freshEmail(), password: 'pw' }) });
      expectAnswer(response, 401, failedBody('Incorrect Password'));
    } finally {
      await strict.close();
    }
  });

  it('row 4: POST /auth/logout ends the session; the token is then refused as blocked', async () => {
    const { token } = await signUp();
    expectAnswer(await logout(`Bearer ${token}`), 200, { status: 'success', message: 'Logout Successful' });
    expectAnswer(await user(`Bearer ${token}`), 401, failedBody('JWT token is blocked. Please login again'));
    expectAnswer(await logout(`Bearer ${token}`), 401, failedBody('JWT token is blocked. Please login again'));
  });

  it('row 5: GET /auth/user shows the email, name, admin flag and real registration time (RFC 1123)', async () => {
    const email = freshEmail();
    const registeredAt = h.clock.now();
    const { token } = await signUp(email, 'pw', 'Grace');
    const response = await user(`Bearer ${token}`);
    expectAnswer(response, 200, {
      status: 'success',
      message: 'Successfully fetched user details',
      details: { email, name: 'Grace', admin: false, registered_on: registeredAt.toUTCString() },
    });
    expect(response.json<{ details: { registered_on: string } }>().details.registered_on).toMatch(/^[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
  });

  it('row 5, deviation: `admin` reflects an admin or is_admin custom claim', async () => {
    for (const claim of ['admin', 'is_admin']) {
      const { email } = await signUp(freshEmail(), 'pw', 'Root');
      await h.auth.setUserClaims(email, { name: 'Root', [claim]: true });
      const token = await logIn(email);
      const response = await user(`Bearer ${token}`);
      expect(response.json<{ details: { admin: boolean; name: string } }>().details).toMatchObject({ admin: true, name: 'Root' });
    }
  });

  it('row 5: a live token whose user is gone is 401 (its sessions ended with the user)', async () => {
    const { email, token } = await signUp();
    const stored = await h.store.findUserByEmailKey(email);
    await h.auth.deleteUser({ id: stored!.id }, { door: 'cli', address: 'cli' });
    expectAnswer(await user(`Bearer ${token}`), 401, failedBody('JWT token is blocked. Please login again'));
  });

  it('token errors: missing, wrong signature, expired, malformed, in the original words', async () => {
    const { token } = await signUp();
    expectAnswer(await user(), 401, failedBody('Auth token missing'));
    expectAnswer(await user(''), 401, failedBody('Auth token missing'));
    // The scheme word was never checked: any first word works.
    expect((await user(`Token ${token}`)).statusCode).toBe(200);
    // Bytes appended to the signature, as the original's tests do, and a signature of another key under our kid.
    expectAnswer(await user(`Bearer ${token}abc`), 401, failedBody("Token Signature doesn't match"));
    const { privateKey } = generateKeyPairSync('ed25519');
    const forged = await new SignJWT(decodeJwt(token)).setProtectedHeader(decodeProtectedHeader(token) as { alg: string }).sign(privateKey);
    expectAnswer(await user(`Bearer ${forged}`), 401, failedBody("Token Signature doesn't match"));
    for (const garbage of ['garbage', 'a.b.c', `${token}.x`]) expectAnswer(await user(`Bearer ${garbage}`), 401, failedBody('Invalid token signature'));
    h.clock.advanceSeconds(h.config.auth.accessTokenTtlSeconds + 1);
    expectAnswer(await user(`Bearer ${token}`), 401, failedBody('Signature is expired. Please log in again to refresh'));
    expectAnswer(await logout(`Bearer ${token}`), 401, failedBody('Signature is expired. Please log in again to refresh'));
  });

  it('token errors, deviation: "Bearer" alone or a token with no scheme word is 401 "Auth token missing", not a 500', async () => {
    const { token } = await signUp();
    expectAnswer(await user('Bearer'), 401, failedBody('Auth token missing'));
    expectAnswer(await user(token), 401, failedBody('Auth token missing'));
    expectAnswer(await logout('Bearer'), 401, failedBody('Auth token missing'));
  });

  it('answers a wrong method with 405 and an unknown path under /auth with 404, in the family shape', async () => {
    for (const [method, url] of [['GET', '/auth/login'], ['PUT', '/auth/signup'], ['DELETE', '/auth/user'], ['GET', '/auth/logout'], ['POST', '/auth/ping']] as const) {
      const response = await h.app.inject({ method, url });
      expect(response.statusCode).toBe(405);
      expect(response.json()).toEqual(failedBody('method not allowed'));
    }
    expectAnswer(await h.app.inject({ method: 'GET', url: '/auth/nope' }), 404, failedBody('not found'));
  });

  it('a python-jwt-auth user reads /profile of the session API with the Bearer token', async () => {
    const { email, token } = await signUp();
    expectAnswer(await h.app.inject({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${token}` } }), 200, { email });
  });
});

describe('the python-jwt-auth API when SESAME_APIS leaves it out', () => {
  it('is not served: /auth paths are the session API\'s 404', async () => {
    const h = await createAppHarness(testConfig());
    try {
      expectAnswer(await h.app.inject({ method: 'POST', url: '/auth/login', ...json({ email: 'a@b.io', password: 'pw' }) }), 404, { message: 'not found' });
    } finally {
      await h.close();
    }
  });
});
