import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, sessionCookieOf, type AppHarness } from '../../../test/support/harness.js';
import { checkInjections, type OpenApiDocument } from '../../../test/support/openapi-conformance.js';
import { TEST_SECRETS, testConfig, type ConfigOverrides } from '../../../test/support/test-config.js';
import type { AdminHttpConfig } from '../../app.js';
import { buildAdminApp, buildApp } from '../../app.js';
import { createLogger } from '../../logger.js';

const TOKEN = TEST_SECRETS.SESAME_ADMIN_TOKEN;
const withToken = { authorization: `Bearer ${TOKEN}` };
const ON_MAIN: AdminHttpConfig = { listener: 'main', hasToken: true };

let h: AppHarness;
const otherApps: FastifyInstance[] = [];
const payloads: string[] = [];

afterEach(async () => {
  // No answer may ever carry a password hash or a stored token hash.
  for (const payload of payloads) {
    expect(payload).not.toMatch(/\$argon2|\$2[aby]\$/);
    expect(payload).not.toMatch(/[0-9a-f]{64}/);
  }
  payloads.length = 0;
  await Promise.all(otherApps.splice(0).map((app) => app.close()));
  await h.close();
});

async function setUp(admin: AdminHttpConfig | null = ON_MAIN, overrides: ConfigOverrides = {}): Promise<AppHarness> {
  h = await createAppHarness(
    testConfig({ ...overrides, http: { ...overrides.http, admin }, auth: { ...overrides.auth, adminToken: admin?.hasToken ? TOKEN : null } }),
  );
  return h;
}

/**
 * The admin listener's app over the harness's core. It serves no description: its answers are
 * checked against the admin paths of a main listener's that serves the same routes.
 */
async function adminListener(): Promise<FastifyInstance> {
  const logger = createLogger('silent');
  const app = await buildAdminApp({ auth: h.auth, logger, http: h.config.http });
  const describing = await buildApp({ auth: h.auth, logger, http: { ...h.config.http, admin: ON_MAIN } });
  const { paths } = (await describing.inject({ method: 'GET', url: '/openapi.json' })).json<OpenApiDocument>();
  await describing.close();
  checkInjections(app, { paths: Object.fromEntries(Object.entries(paths).filter(([path]) => path.startsWith('/admin/'))) });
  otherApps.push(app);
  return app;
}

async function call(options: InjectOptions, app: FastifyInstance = h.app): Promise<LightMyRequestResponse> {
  const response = await app.inject(options);
  payloads.push(response.payload);
  return response;
}

/** An admin call with the token and, when given, a JSON body. */
function admin(method: NonNullable<InjectOptions['method']>, url: string, payload?: object): Promise<LightMyRequestResponse> {
  return call({ method, url, headers: withToken, ...(payload === undefined ? {} : { payload }) });
}

async function createUser(email: string, password = 'pw'): Promise<{ id: string; email: string }> {
  const response = await admin('POST', '/admin/users', { email, password });
  expect(response.statusCode).toBe(201);
  return response.json();
}

async function logIn(email: string, password = 'pw', userAgent = 'test-browser/1.0'): Promise<string> {
  const response = await call({ method: 'POST', url: '/sessions', headers: { 'user-agent': userAgent }, payload: { email, password } });
  expect(response.statusCode).toBe(200);
  return sessionCookieOf(response)!;
}

async function grant(email: string, password = 'pw'): Promise<{ access_token: string; refresh_token: string }> {
  const response = await call({ method: 'POST', url: '/token', headers: { 'user-agent': 'service/2.0' }, payload: { grant_type: 'password', username: email, password } });
  expect(response.statusCode).toBe(200);
  return response.json();
}

const profileWithCookie = async (cookie: string) => (await call({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${cookie}` } })).statusCode;
const profileWithBearer = async (token: string) => (await call({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${token}` } })).statusCode;

describe('the admin API is off', () => {
  it('without SESAME_ADMIN_TOKEN or SESAME_ADMIN_LISTEN: /admin is not found, token or not, and not described', async () => {
    await setUp(null);
    for (const headers of [{}, withToken]) {
      const response = await call({ method: 'GET', url: '/admin/users', headers });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ message: 'not found' });
    }
    const document = (await call({ method: 'GET', url: '/openapi.json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/admin'))).toEqual([]);
  });
});

describe('the admin token', () => {
  it('is required: missing, malformed or wrong is a 401 invalid_client with a Bearer challenge', async () => {
    await setUp();
    for (const authorization of [undefined, 'Bearer', `Basic ${Buffer.from(`admin:${TOKEN}`).toString('base64')}`, `Bearer ${TOKEN.slice(0, -1)}x`, `Bearer ${TOKEN}x`, 'Bearer a b']) {
      const response = await call({ method: 'GET', url: '/admin/users', headers: authorization === undefined ? {} : { authorization } });
      expect(response.statusCode, authorization).toBe(401);
      expect(response.headers['www-authenticate']).toBe('Bearer realm="sesame-admin"');
      expect(response.json()).toEqual({ error: 'invalid_client', message: 'the admin API needs the admin bearer token' });
    }
    const response = await admin('GET', '/admin/users');
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ users: [], next_cursor: null });
  });

  it('is checked before the body is read, on every route', async () => {
    await setUp();
    const { id } = await createUser('ann@x.io');
    for (const [method, url] of [
      ['POST', '/admin/users'],
      ['GET', `/admin/users/${id}`],
      ['PATCH', `/admin/users/${id}`],
      ['PUT', `/admin/users/${id}/password`],
      ['DELETE', `/admin/users/${id}`],
      ['GET', `/admin/users/${id}/sessions`],
      ['DELETE', `/admin/users/${id}/sessions`],
      ['DELETE', `/admin/users/${id}/sessions/AAAAAAAAAAAAAAAAAAAAAA`],
      ['POST', `/admin/users/${id}/unlock`],
    ] as const) {
      const response = await call({ method, url, headers: { 'content-type': 'application/json' }, payload: '{not json' });
      expect(response.statusCode, `${method} ${url}`).toBe(401);
    }
    expect((await admin('GET', `/admin/users/${id}`)).statusCode).toBe(200);
  });

  it('is described as its own security scheme', async () => {
    await setUp();
    const document = (await call({ method: 'GET', url: '/openapi.json' })).json<{
      components: { securitySchemes: Record<string, object> };
      paths: Record<string, Record<string, { security?: object[]; tags?: string[] }>>;
    }>();
    expect(document.components.securitySchemes.adminToken).toMatchObject({ type: 'http', scheme: 'bearer' });
    const adminPaths = Object.keys(document.paths).filter((path) => path.startsWith('/admin'));
    expect(adminPaths.sort()).toEqual([
      '/admin/users',
      '/admin/users/{ref}',
      '/admin/users/{ref}/password',
      '/admin/users/{ref}/sessions',
      '/admin/users/{ref}/sessions/{session_id}',
      '/admin/users/{ref}/unlock',
    ]);
    for (const path of adminPaths) {
      for (const operation of Object.values(document.paths[path]!)) expect(operation.security).toEqual([{ adminToken: [] }]);
    }
  });
});

describe('the admin listener', () => {
  it('alone serves /admin: the main listener answers it as an unknown path', async () => {
    await setUp({ listener: 'own', hasToken: true });
    const main = await call({ method: 'GET', url: '/admin/users', headers: withToken });
    expect(main.statusCode).toBe(404);
    expect(main.json()).toEqual({ message: 'not found' });
    const listener = await adminListener();
    expect((await call({ method: 'GET', url: '/admin/users' }, listener)).statusCode).toBe(401);
    const listed = await call({ method: 'GET', url: '/admin/users', headers: withToken }, listener);
    expect(listed.statusCode).toBe(200);
    expect(listed.headers['cache-control']).toBe('no-store');
    expect(listed.headers['x-content-type-options']).toBe('nosniff');
    // Nothing else is served there.
    for (const url of ['/', '/profile', '/openapi.json', '/health']) expect((await call({ method: 'GET', url }, listener)).statusCode, url).toBe(404);
    expect(h.audited.filter((event) => event.event === 'admin_action')).toEqual([]);
    await call({ method: 'POST', url: '/admin/users', headers: withToken, payload: { email: 'ann@x.io', password: 'pw' } }, listener);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'admin_action', action: 'user.create', caller: 'token', client: '127.0.0.1' }));
  });

  it('without a token serves local clients that are not browsers, and names the listener as the door', async () => {
    await setUp({ listener: 'own', hasToken: false });
    const listener = await adminListener();
    const created = await call({ method: 'POST', url: '/admin/users', headers: { host: '127.0.0.1:5001' }, payload: { email: 'ann@x.io', password: 'pw' } }, listener);
    expect(created.statusCode).toBe(201);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'admin_action', action: 'user.create', caller: 'listener', client: '127.0.0.1' }));
    for (const host of ['localhost:5001', '[::1]:5001', '127.0.0.1']) {
      expect((await call({ method: 'GET', url: '/admin/users', headers: { host } }, listener)).statusCode, host).toBe(200);
    }
    // A web page in a local browser: a cross-site form, a fetch, or DNS rebinding under another host name.
    for (const headers of [
      { host: '127.0.0.1:5001', origin: 'https://evil.example' },
      { host: '127.0.0.1:5001', 'sec-fetch-site': 'cross-site' },
      { host: '127.0.0.1:5001', 'sec-fetch-site': 'same-origin' },
      { host: 'evil.example:5001' },
    ]) {
      const response = await call({ method: 'GET', url: '/admin/users', headers }, listener);
      expect(response.statusCode, JSON.stringify(headers)).toBe(403);
      expect(response.json()).toMatchObject({ error: 'cross_site' });
    }
  });
});

describe('users', () => {
  it('are created, read by id or by email (any case, percent-encoded), and shown without any secret', async () => {
    await setUp();
    const created = await admin('POST', '/admin/users', { email: 'Ann+tag@X.io', password: 'pw' });
    expect(created.statusCode).toBe(201);
    const user = created.json<Record<string, unknown>>();
    expect(user).toEqual({
      id: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/) as unknown,
      email: 'Ann+tag@X.io',
      created_at: h.clock.now().toISOString(),
      updated_at: h.clock.now().toISOString(),
      disabled: false,
      locked: false,
      last_login_at: null,
      claims: null,
    });
    expect((await admin('GET', `/admin/users/${user.id as string}`)).json()).toEqual(user);
    expect((await admin('GET', `/admin/users/${encodeURIComponent('ann+TAG@x.io')}`)).json()).toEqual(user);
    await logIn('ann+tag@x.io');
    expect((await admin('GET', `/admin/users/${user.id as string}`)).json()).toMatchObject({ last_login_at: h.clock.now().toISOString() });
  });

  it('answer user_not_found for an unknown id or email, on every route that names one', async () => {
    await setUp();
    for (const ref of ['AAAAAAAAAAAAAAAAAAAAAA', 'nobody%40x.io', 'x', 'a'.repeat(300), encodeURIComponent(`${'é'.repeat(300)}@x.io`)]) {
      for (const [method, suffix, payload] of [
        ['GET', '', undefined],
        ['PATCH', '', { disabled: true }],
        ['PUT', '/password', { password: 'pw2' }],
        ['DELETE', '', undefined],
        ['GET', '/sessions', undefined],
        ['DELETE', '/sessions', undefined],
        ['DELETE', '/sessions/AAAAAAAAAAAAAAAAAAAAAA', undefined],
        ['POST', '/unlock', undefined],
      ] as const) {
        const response = await admin(method, `/admin/users/${ref}${suffix}`, payload);
        expect(response.statusCode, `${method} ${ref.slice(0, 30)}${suffix}`).toBe(404);
        expect(response.json()).toEqual({ error: 'user_not_found', message: 'user not found' });
      }
    }
    // Longer than any email could be: the router refuses it, in the same shape.
    const tooLong = await admin('GET', `/admin/users/${'a'.repeat(4000)}`);
    expect(tooLong.statusCode).toBe(400);
    expect(tooLong.json()).toEqual({ error: 'invalid_request', message: 'malformed request URL' });
    const empty = await admin('GET', '/admin/users/');
    expect(empty.statusCode).toBe(400);
    expect(empty.json()).toEqual({ error: 'invalid_request', message: 'ref must not be empty' });
    const nowhere = await admin('GET', '/admin/nowhere');
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.json()).toEqual({ error: 'not_found', message: 'not found' });
  });

  it('refuse a taken email (409), a password the rules refuse, and malformed bodies, each a 4xx in the admin shape', async () => {
    await setUp(ON_MAIN, { auth: { password: { minLength: 8 } } });
    await createUser('ann@x.io', 'long enough');
    const taken = await admin('POST', '/admin/users', { email: 'ANN@x.io', password: 'long enough' });
    expect(taken.statusCode).toBe(409);
    expect(taken.json()).toMatchObject({ error: 'email_taken' });
    const short = await admin('POST', '/admin/users', { email: 'bob@x.io', password: 'short' });
    expect(short.statusCode).toBe(400);
    expect(short.json()).toMatchObject({ error: 'invalid_input' });
    for (const [payload, message] of [
      [{ email: 'bob@x.io' }, 'password is required'],
      [{ email: 'bob@x.io', password: 'long enough', role: 'admin' }, 'unknown field: role'],
      [{ email: 5, password: 'long enough' }, 'email must be a string'],
      [{ email: ['bob@x.io'], password: 'long enough' }, 'email must be a string'],
    ] as const) {
      const response = await admin('POST', '/admin/users', payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', message });
    }
    for (const [headers, payload, status] of [
      [{ 'content-type': 'application/json' }, '{"email": "bob@x.io",', 400],
      [{ 'content-type': 'application/json' }, '{"email": "bob@x.io", "email": "eve@x.io", "password": "long enough"}', 400],
      [{ 'content-type': 'application/json' }, '[]', 400],
      [{ 'content-type': 'application/json' }, 'null', 400],
      [{ 'content-type': 'application/x-www-form-urlencoded' }, 'email=bob%40x.io&password=long+enough', 415],
      [{ 'content-type': 'text/plain' }, 'hello', 415],
      [{}, undefined, 415],
      [{ 'content-type': 'application/json' }, `{"email": "bob@x.io", "password": "${'a'.repeat(40_000)}"}`, 413],
    ] as const) {
      const response = await call({ method: 'POST', url: '/admin/users', headers: { ...withToken, ...headers }, ...(payload === undefined ? {} : { payload }) });
      expect(response.statusCode, String(payload).slice(0, 40)).toBe(status);
      expect(Object.keys(response.json<object>()).sort()).toEqual(['error', 'message']);
    }
    expect((await admin('GET', '/admin/users')).json<{ users: unknown[] }>().users).toHaveLength(1);
  });

  it('are updated: claims set and removed, email changed, and at least one known field is required', async () => {
    await setUp();
    const { id } = await createUser('ann@x.io');
    await createUser('bob@x.io');
    const withClaims = await admin('PATCH', `/admin/users/${id}`, { claims: { tenant: 't1', roles: ['a'] } });
    expect(withClaims.statusCode).toBe(200);
    expect(withClaims.json()).toMatchObject({ claims: { tenant: 't1', roles: ['a'] } });
    const { access_token } = await grant('ann@x.io');
    const introspected = await call({ method: 'POST', url: '/introspect', payload: { token: access_token } });
    expect(introspected.json()).toMatchObject({ active: true, tenant: 't1' });
    expect((await admin('PATCH', `/admin/users/${id}`, { claims: null })).json()).toMatchObject({ claims: null });

    const cookie = await logIn('ann@x.io');
    const moved = await admin('PATCH', `/admin/users/${id}`, { email: 'ann@new.io' });
    expect(moved.statusCode).toBe(200);
    expect(moved.json()).toMatchObject({ id, email: 'ann@new.io' });
    expect(await profileWithCookie(cookie)).toBe(403);
    await logIn('ann@new.io');
    expect((await admin('PATCH', `/admin/users/${encodeURIComponent('ann@new.io')}`, { email: 'BOB@x.io' })).statusCode).toBe(409);

    for (const [payload, message] of [
      [{}, 'give at least one of disabled, claims, email'],
      [{ disabled: 'true' }, 'disabled must be a boolean'],
      [{ disabled: 1 }, 'disabled must be a boolean'],
      [{ claims: 5 }, 'claims must be an object or null'],
      [{ claims: 'x' }, 'claims must be an object or null'],
      [{ claims: [1] }, 'claims must be an object or null'],
      [{ email: null }, 'email must be a string'],
      [{ enabled: true }, 'unknown field: enabled'],
    ] as const) {
      const response = await admin('PATCH', `/admin/users/${id}`, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
      expect(response.json()).toEqual({ error: 'invalid_request', message });
    }
    const reserved = await admin('PATCH', `/admin/users/${id}`, { claims: { sub: 'someone else' } });
    expect(reserved.statusCode).toBe(400);
    expect(reserved.json()).toMatchObject({ error: 'invalid_input' });
  });

  it('disabled cannot sign in, and their cookie session and Bearer token end at the next request; enabled, they sign in again', async () => {
    await setUp();
    const { id } = await createUser('ann@x.io');
    const cookie = await logIn('ann@x.io');
    const tokens = await grant('ann@x.io');
    expect(await profileWithCookie(cookie)).toBe(200);
    expect(await profileWithBearer(tokens.access_token)).toBe(200);

    const disabled = await admin('PATCH', `/admin/users/${id}`, { disabled: true });
    expect(disabled.statusCode).toBe(200);
    expect(disabled.json()).toMatchObject({ disabled: true });
    expect(await profileWithCookie(cookie)).toBe(403);
    expect(await profileWithBearer(tokens.access_token)).toBe(401);
    const refreshed = await call({ method: 'POST', url: '/token', payload: { grant_type: 'refresh_token', refresh_token: tokens.refresh_token } });
    expect(refreshed.statusCode).toBe(400);
    // As a wrong password answers: nothing says the account exists and is disabled.
    const refused = await call({ method: 'POST', url: '/sessions', payload: { email: 'ann@x.io', password: 'pw' } });
    const wrong = await call({ method: 'POST', url: '/sessions', payload: { email: 'ann@x.io', password: 'nope' } });
    expect([refused.statusCode, refused.json()]).toEqual([wrong.statusCode, wrong.json()]);
    expect((await admin('GET', '/admin/users?state=disabled')).json<{ users: Array<{ id: string }> }>().users.map((user) => user.id)).toEqual([id]);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'admin_action', action: 'user.disable', userId: id, caller: 'token', client: '127.0.0.1' }));

    expect((await admin('PATCH', `/admin/users/${id}`, { disabled: false })).json()).toMatchObject({ disabled: false });
    await logIn('ann@x.io');
  });

  it('get a new password, which ends every session of theirs', async () => {
    await setUp();
    const { id } = await createUser('ann@x.io');
    const cookie = await logIn('ann@x.io');
    const set = await admin('PUT', `/admin/users/${id}/password`, { password: 'new pw' });
    expect(set.statusCode).toBe(204);
    expect(set.payload).toBe('');
    expect(await profileWithCookie(cookie)).toBe(403);
    expect((await call({ method: 'POST', url: '/sessions', payload: { email: 'ann@x.io', password: 'pw' } })).statusCode).toBe(401);
    await logIn('ann@x.io', 'new pw');
    for (const payload of [{}, { password: 5 }, { password: 'x', new_password: 'y' }, { password: '' }]) {
      const response = await admin('PUT', `/admin/users/${id}/password`, payload);
      expect(response.statusCode, JSON.stringify(payload)).toBe(400);
    }
  });

  it('deleted are gone with their sessions', async () => {
    await setUp();
    const { id } = await createUser('ann@x.io');
    const cookie = await logIn('ann@x.io');
    const tokens = await grant('ann@x.io');
    const deleted = await admin('DELETE', `/admin/users/${encodeURIComponent('ANN@x.io')}`);
    expect(deleted.statusCode).toBe(204);
    expect(await profileWithCookie(cookie)).toBe(403);
    expect(await profileWithBearer(tokens.access_token)).toBe(401);
    expect((await admin('GET', `/admin/users/${id}`)).statusCode).toBe(404);
    expect((await admin('DELETE', `/admin/users/${id}`)).statusCode).toBe(404);
    // The email is free again.
    await createUser('ann@x.io');
  });

  it('locked by failed log-ins are shown locked, listed so, and unlocked', async () => {
    await setUp(ON_MAIN, { auth: { limits: { accountFailures: 3, accountFreeFailures: 3 } } });
    const { id } = await createUser('ann@x.io');
    await createUser('bob@x.io');
    for (let attempt = 0; attempt < 3; attempt += 1) {
      expect((await call({ method: 'POST', url: '/sessions', payload: { email: 'ann@x.io', password: 'wrong' } })).statusCode).toBe(401);
    }
    expect((await admin('GET', `/admin/users/${id}`)).json()).toMatchObject({ locked: true });
    const emailsOf = async (url: string) => (await admin('GET', url)).json<{ users: Array<{ email: string }> }>().users.map((user) => user.email);
    expect(await emailsOf('/admin/users?state=locked')).toEqual(['ann@x.io']);
    expect(await emailsOf('/admin/users?state=active')).toEqual(['bob@x.io']);
    const unlocked = await admin('POST', `/admin/users/${id}/unlock`);
    expect(unlocked.statusCode).toBe(204);
    expect((await admin('GET', `/admin/users/${id}`)).json()).toMatchObject({ locked: false });
    await logIn('ann@x.io');
  });
});

describe('the user list', () => {
  it('pages newest or oldest first with an opaque cursor, and filters by email prefix', async () => {
    await setUp();
    const emails = ['a1@x.io', 'b1@y.io', 'a2@x.io', 'A3@x.io', 'c1@z.io'];
    for (const email of emails) {
      await createUser(email);
      h.clock.advanceSeconds(1);
    }
    const walk = async (query: string): Promise<string[]> => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const response = await admin('GET', `/admin/users?${query}${cursor === null ? '' : `&cursor=${encodeURIComponent(cursor)}`}`);
        expect(response.statusCode).toBe(200);
        const page = response.json<{ users: Array<{ email: string }>; next_cursor: string | null }>();
        expect(page.users.length).toBeLessThanOrEqual(2);
        seen.push(...page.users.map((user) => user.email));
        cursor = page.next_cursor;
      } while (cursor !== null);
      return seen;
    };
    expect(await walk('limit=2')).toEqual([...emails].reverse());
    expect(await walk('limit=2&order=oldest')).toEqual(emails);
    expect(await walk('limit=2&order=oldest&email=a')).toEqual(['a1@x.io', 'a2@x.io', 'A3@x.io']);
    expect(await walk('limit=2&email=A')).toEqual(['A3@x.io', 'a2@x.io', 'a1@x.io']);
    expect(await walk('limit=2&state=active&email=c')).toEqual(['c1@z.io']);
    const all = (await admin('GET', '/admin/users')).json<{ users: unknown[]; next_cursor: string | null }>();
    expect(all.users).toHaveLength(5);
    expect(all.next_cursor).toBeNull();
  });

  it('answers every malformed query with a 400 in the admin shape, never a 500', async () => {
    await setUp();
    await createUser('ann@x.io');
    await createUser('bob@x.io');
    const { next_cursor: cursor } = (await admin('GET', '/admin/users?limit=1')).json<{ next_cursor: string }>();
    for (const query of [
      'limit=0',
      'limit=501',
      'limit=-1',
      'limit=1.5',
      'limit=abc',
      'limit=',
      'limit=99999999999999999999',
      'limit=1&limit=2',
      'order=sideways',
      'order=',
      'state=banned',
      'state=Active',
      'cursor=',
      'cursor=not-a-cursor',
      `cursor=${'A'.repeat(5000)}`,
      `cursor=${encodeURIComponent(cursor)}&order=oldest`,
      `cursor=${encodeURIComponent(`${cursor.slice(0, -2)}xx`)}`,
      'cursor=%00%01',
      'sort=newest',
      'email=a&email=b',
    ]) {
      const response = await admin('GET', `/admin/users?${query}`);
      expect(response.statusCode, query).toBe(400);
      expect(response.json<{ error: string }>().error, query).toMatch(/^invalid_(request|input)$/);
    }
    expect((await admin('GET', '/admin/users?limit=500&email=%00%FF')).statusCode).toBeLessThan(500);
  });
});

describe("a user's sessions", () => {
  it('are listed newest first with where they came from, ended one at a time or all at once', async () => {
    await setUp();
    const { id } = await createUser('ann@x.io');
    const { id: otherId } = await createUser('bob@x.io');
    const cookie = await logIn('ann@x.io', 'pw', 'Firefox/140');
    h.clock.advanceSeconds(1);
    const tokens = await grant('ann@x.io');
    h.clock.advanceSeconds(1);
    const othersToken = (await grant('bob@x.io')).access_token;

    const listed = await admin('GET', `/admin/users/${id}/sessions`);
    expect(listed.statusCode).toBe(200);
    const { sessions } = listed.json<{ sessions: Array<Record<string, unknown>> }>();
    expect(sessions.map((session) => [session.kind, session.user_agent, session.client_address])).toEqual([
      ['token', 'service/2.0', '127.0.0.1'],
      ['cookie', 'Firefox/140', '127.0.0.1'],
    ]);
    expect(Object.keys(sessions[0]!).sort()).toEqual(['client_address', 'created_at', 'expires_at', 'id', 'kind', 'last_seen_at', 'user_agent']);
    const [tokenSession, cookieSession] = sessions.map((session) => session.id as string);
    const othersSession = (await admin('GET', `/admin/users/${otherId}/sessions`)).json<{ sessions: Array<{ id: string }> }>().sessions[0]!.id;

    const unknown = await admin('DELETE', `/admin/users/${id}/sessions/${othersSession}`);
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'session_not_found', message: 'session not found' });
    expect(await profileWithBearer(othersToken)).toBe(200);
    expect((await admin('DELETE', `/admin/users/${id}/sessions/${tokenSession!}`)).statusCode).toBe(204);
    expect(await profileWithBearer(tokens.access_token)).toBe(401);
    expect(await profileWithCookie(cookie)).toBe(200);
    expect((await admin('DELETE', `/admin/users/${id}/sessions/${tokenSession!}`)).statusCode).toBe(404);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'admin_action', action: 'session.end', userId: id, sessionId: tokenSession }));

    const ended = await admin('DELETE', `/admin/users/${id}/sessions`);
    expect(ended.statusCode).toBe(200);
    expect(ended.json()).toEqual({ ended: 1 });
    expect(await profileWithCookie(cookie)).toBe(403);
    expect(cookieSession).toBeDefined();
    expect((await admin('GET', `/admin/users/${id}/sessions`)).json()).toEqual({ sessions: [] });
    expect((await admin('DELETE', `/admin/users/${id}/sessions`)).json()).toEqual({ ended: 0 });
    expect(await profileWithBearer(othersToken)).toBe(200);
  });
});
