import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ALL_ENGINES, createTestDatabase, describeEngines, type Engine, type TestDatabase } from './support/databases.js';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { TEST_SECRETS, testConfig } from './support/test-config.js';

const ADMIN = TEST_SECRETS.SESAME_ADMIN_TOKEN;

const json = (payload: unknown): Pick<InjectOptions, 'headers' | 'payload'> => ({
  headers: { 'content-type': 'application/json' },
  payload: JSON.stringify(payload),
});

function expectAnswer(response: LightMyRequestResponse, status: number, body: unknown): void {
  expect({ status: response.statusCode, body: response.json<unknown>() }).toEqual({ status, body });
}

// The course's exact bodies (flask-jwt-course.md).
const INVALID_CREDENTIALS = { code: 401, message: 'Invalid credentials.', status: 'Unauthorized' };
const MISSING_TOKEN = { description: 'Request does not contain an access token.', error: 'authorization_required' };
const INVALID_TOKEN = { message: 'Signature verification failed.', error: 'invalid_token' };
const EXPIRED = { message: 'The token has expired.', error: 'token_expired' };
const REVOKED = { description: 'The token has been revoked.', error: 'token_revoked' };
const NOT_FRESH = { description: 'The token is not fresh.', error: 'fresh_token_required' };
const NOT_FOUND = { code: 404, status: 'Not Found' };
const unprocessable = (errors: Record<string, string[]>) => ({ code: 422, errors: { json: errors }, status: 'Unprocessable Entity' });

let counter = 0;
const freshName = () => `user${++counter}_${Date.now()}`;

describeEngines(ALL_ENGINES, 'the Flask-JWT-Extended course API on %s', (engine: Engine) => {
  let database: TestDatabase;
  let h: AppHarness;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    h = await createAppHarness(
      testConfig({
        database: database.config,
        http: { apis: ['session', 'token', 'flask-jwt-course'], admin: { listener: 'main', hasToken: true } },
        auth: { adminToken: ADMIN, limits: { clientRegistrations: 1_000_000 } },
      }),
    );
  });
  afterAll(async () => {
    await h.close();
    await database.drop();
  });

  const post = (url: string, payload: unknown) => h.app.inject({ method: 'POST', url, ...json(payload) });
  const bearer = (method: 'GET' | 'POST' | 'DELETE', url: string, authorization?: string) =>
    h.app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } });

  async function register(username = freshName(), password = 'pw'): Promise<string> {
    expectAnswer(await post('/register', { username, password }), 201, { message: 'User created successfully.' });
    return username;
  }

  async function logIn(username: string, password = 'pw'): Promise<{ access_token: string; refresh_token: string }> {
    const response = await post('/login', { username, password });
    expect(response.statusCode).toBe(200);
    return response.json();
  }

  it('row 1: POST /register creates a user; the same username again is 409', async () => {
    const username = await register();
    expectAnswer(await post('/register', { username, password: 'other' }), 409, { code: 409, message: 'A user with that username already exists.', status: 'Conflict' });
  });

  it('row 1: usernames match exactly, as the original\'s did: Bob and bob are two accounts', async () => {
    const base = freshName();
    await register(`B${base}`, 'one');
    await register(`b${base}`, 'two');
    expect((await post('/login', { username: `B${base}`, password: 'one' })).statusCode).toBe(200);
    expect((await post('/login', { username: `b${base}`, password: 'two' })).statusCode).toBe(200);
    expectAnswer(await post('/login', { username: `b${base}`, password: 'one' }), 401, INVALID_CREDENTIALS);
  });

  it('row 1: marshmallow\'s 422 for missing, unknown, null and non-string fields; 400 for malformed JSON', async () => {
    expectAnswer(await post('/register', {}), 422, unprocessable({ password: ['Missing data for required field.'], username: ['Missing data for required field.'] }));
    expectAnswer(await post('/register', { username: 'x' }), 422, unprocessable({ password: ['Missing data for required field.'] }));
    expectAnswer(await post('/register', { username: 'x', password: 'p', k: 1 }), 422, unprocessable({ k: ['Unknown field.'] }));
    expectAnswer(await post('/register', { id: 1, username: 'x', password: 'p' }), 422, unprocessable({ id: ['Unknown field.'] }));
    expectAnswer(await post('/register', { username: 5, password: null }), 422, unprocessable({ username: ['Not a valid string.'], password: ['Field may not be null.'] }));
    expectAnswer(await post('/register', ['username']), 422, unprocessable({ _schema: ['Invalid input type.'] }));
    const both = unprocessable({ password: ['Missing data for required field.'], username: ['Missing data for required field.'] });
    // A form body is no JSON fields, and so is no body at all.
    expectAnswer(
      await h.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: 'username=a&password=b' }),
      422,
      both,
    );
    expectAnswer(await h.app.inject({ method: 'POST', url: '/register' }), 422, both);
    expectAnswer(await h.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' } }), 422, both);
    expectAnswer(await h.app.inject({ method: 'POST', url: '/register', headers: { 'content-type': 'application/json' }, payload: '{"username":' }), 400, {
      code: 400,
      errors: { json: ['Invalid JSON body.'] },
      status: 'Bad Request',
    });
  });

  it('row 1, the username rule: a username with @ or an empty one is refused (422), so no username can equal an email', async () => {
    for (const username of ['a@b.io', '']) {
      const response = await post('/register', { username, password: 'pw' });
      expect(response.statusCode).toBe(422);
      expect(response.json()).toEqual({ code: 422, status: 'Unprocessable Entity', message: expect.any(String) as string });
    }
    // And the session and token APIs keep requiring an email: a username signs in only here.
    const username = await register();
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    expectAnswer(await h.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: `email=${username}&password=pw` }), 400, { message: 'email must contain @' });
    expect((await h.app.inject({ method: 'POST', url: '/token', headers: form, payload: `grant_type=password&username=${username}&password=pw` })).json()).toMatchObject({
      error: 'invalid_request',
      error_description: 'email must contain @',
    });
  });

  it('row 2: POST /login gives a fresh access token and a refresh token; unknown user and wrong password answer alike', async () => {
    const username = await register();
    const { access_token, refresh_token } = await logIn(username);
    const stored = await h.store.findUserByEmailKey(username);
    expect(decodeJwt(access_token)).toMatchObject({ sub: stored!.id, fresh: true, type: 'access', email: username });
    expect(typeof refresh_token).toBe('string');
    const wrong = await post('/login', { username, password: 'nope' });
    const unknown = await post('/login', { username: freshName(), password: 'pw' });
    expectAnswer(wrong, 401, INVALID_CREDENTIALS);
    expect(unknown.payload).toBe(wrong.payload);
    expectAnswer(await post('/login', { username: 'someone@example.com', password: 'pw' }), 401, INVALID_CREDENTIALS);
    expectAnswer(await post('/login', { username }), 422, unprocessable({ password: ['Missing data for required field.'] }));
  });

  it('row 2: custom claims set on the user (sesame users claims) are in the access tokens, refreshed ones too', async () => {
    const username = await register();
    await h.auth.setUserClaims(username, { is_admin: true });
    const { access_token, refresh_token } = await logIn(username);
    expect(decodeJwt(access_token).is_admin).toBe(true);
    const refreshed = (await bearer('POST', '/refresh', `Bearer ${refresh_token}`)).json<{ access_token: string }>();
    expect(decodeJwt(refreshed.access_token)).toMatchObject({ is_admin: true, fresh: false });
  });

  it('row 3: POST /logout ends the session: its access token is revoked, and so is its refresh token (stricter than the course)', async () => {
    const { access_token, refresh_token } = await logIn(await register());
    expectAnswer(await bearer('POST', '/logout', `Bearer ${refresh_token}`), 401, INVALID_TOKEN);
    expectAnswer(await bearer('POST', '/logout', `Bearer ${access_token}`), 200, { message: 'Successfully logged out' });
    expectAnswer(await bearer('POST', '/logout', `Bearer ${access_token}`), 401, REVOKED);
    expectAnswer(await bearer('POST', '/refresh', `Bearer ${refresh_token}`), 401, INVALID_TOKEN);
  });

  it('row 4: POST /refresh gives a non-fresh access token and uses the refresh token up', async () => {
    const { access_token, refresh_token } = await logIn(await register());
    expectAnswer(await bearer('POST', '/refresh', `Bearer ${access_token}`), 401, INVALID_TOKEN);
    const response = await bearer('POST', '/refresh', `Bearer ${refresh_token}`);
    expect(response.statusCode).toBe(200);
    const body = response.json<{ access_token: string }>();
    expect(Object.keys(body)).toEqual(['access_token']);
    expect(decodeJwt(body.access_token)).toMatchObject({ fresh: false, type: 'access', sid: decodeJwt(access_token).sid });
    // Used again, at once: revoked, and, as a replay, the session ends (its tokens with it).
    expectAnswer(await bearer('POST', '/refresh', `Bearer ${refresh_token}`), 401, REVOKED);
    expectAnswer(await bearer('POST', '/logout', `Bearer ${body.access_token}`), 401, REVOKED);
  });

  it('row 4: the refreshed (non-fresh) access token logs out', async () => {
    const { refresh_token } = await logIn(await register());
    const { access_token } = (await bearer('POST', '/refresh', `Bearer ${refresh_token}`)).json<{ access_token: string }>();
    expectAnswer(await bearer('POST', '/logout', `Bearer ${access_token}`), 200, { message: 'Successfully logged out' });
  });

  it('row 5: GET /user/<id> for the admin token or the user\'s own token; another user\'s token is 403; unknown ids are 404', async () => {
    const username = await register();
    const { access_token } = await logIn(username);
    const id = decodeJwt(access_token).sub!;
    expectAnswer(await bearer('GET', `/user/${id}`, `Bearer ${ADMIN}`), 200, { id, username });
    expectAnswer(await bearer('GET', `/user/${id}`, `Bearer ${access_token}`), 200, { id, username });
    const other = await logIn(await register());
    const forbidden = await bearer('GET', `/user/${id}`, `Bearer ${other.access_token}`);
    expect(forbidden.statusCode).toBe(403);
    expect(forbidden.json()).toMatchObject({ code: 403, status: 'Forbidden' });
    expectAnswer(await bearer('GET', `/user/${id}`), 401, MISSING_TOKEN);
    expectAnswer(await bearer('GET', '/user/nobody', `Bearer ${ADMIN}`), 404, NOT_FOUND);
    expectAnswer(await bearer('GET', '/user/1/extra'), 404, NOT_FOUND);
  });

  it('row 6: DELETE /user/<id> needs the user\'s fresh token (or the admin token) and ends every session of the user', async () => {
    const username = await register();
    const first = await logIn(username);
    const second = await logIn(username);
    const id = decodeJwt(first.access_token).sub!;
    const { access_token: stale } = (await bearer('POST', '/refresh', `Bearer ${first.refresh_token}`)).json<{ access_token: string }>();
    expectAnswer(await bearer('DELETE', `/user/${id}`, `Bearer ${stale}`), 401, NOT_FRESH);
    expectAnswer(await bearer('DELETE', `/user/${id}`, `Bearer ${second.access_token}`), 200, { message: 'User deleted.' });
    // Audited with its request's id, like every event a request causes.
    const deleted = h.audited.find((event) => event.event === 'account_deleted');
    expect(deleted).toMatchObject({ userId: id, client: '127.0.0.1' });
    expect(Object.keys(deleted ?? {})).toContain('requestId');
    // The original left the deleted user's tokens working; here every session ended with the user.
    expectAnswer(await bearer('POST', '/logout', `Bearer ${stale}`), 401, REVOKED);
    expectAnswer(await bearer('GET', `/user/${id}`, `Bearer ${ADMIN}`), 404, NOT_FOUND);
    const other = await register();
    const otherId = decodeJwt((await logIn(other)).access_token).sub!;
    expectAnswer(await bearer('DELETE', `/user/${otherId}`, `Bearer ${ADMIN}`), 200, { message: 'User deleted.' });
    expectAnswer(await bearer('DELETE', `/user/${otherId}`, `Bearer ${ADMIN}`), 404, NOT_FOUND);
  });

  it('token errors, in the course\'s words: missing, malformed, expired', async () => {
    const { access_token } = await logIn(await register());
    for (const header of [undefined, `bearer ${access_token}`, `Token ${access_token}`, access_token]) {
      expectAnswer(await bearer('POST', '/logout', header), 401, MISSING_TOKEN);
    }
    for (const header of ['Bearer', `Bearer ${access_token} x`, 'Bearer garbage', `Bearer ${access_token}abc`]) {
      expectAnswer(await bearer('POST', '/logout', header), 401, INVALID_TOKEN);
    }
    h.clock.advanceSeconds(h.config.auth.accessTokenTtlSeconds + 1);
    expectAnswer(await bearer('POST', '/logout', `Bearer ${access_token}`), 401, EXPIRED);
  });

  it('answers a method a path does not take with the course\'s 405', async () => {
    for (const [method, url] of [['GET', '/register'], ['PUT', '/login'], ['GET', '/logout'], ['GET', '/refresh'], ['POST', '/user/abc']] as const) {
      expectAnswer(await h.app.inject({ method, url }), 405, { code: 405, status: 'Method Not Allowed' });
    }
  });

  it("a course user's session is listed by the admin API", async () => {
    const username = await register();
    const { access_token } = await logIn(username);
    const claims = decodeJwt(access_token);
    const response = await bearer('GET', `/admin/users/${encodeURIComponent(username)}/sessions`, `Bearer ${ADMIN}`);
    expect(response.statusCode).toBe(200);
    expect(response.json<{ sessions: Array<{ id: string; kind: string }> }>().sessions).toEqual([expect.objectContaining({ id: claims.sid, kind: 'token' })]);
  });
});

describe('the course API when SESAME_APIS leaves it out', () => {
  it('is not served: its paths are the session API\'s 404', async () => {
    const h = await createAppHarness(testConfig());
    try {
      expectAnswer(await h.app.inject({ method: 'POST', url: '/register', ...json({ username: 'a', password: 'b' }) }), 404, { message: 'not found' });
    } finally {
      await h.close();
    }
  });
});
