import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, describeEngines, SERVER_ENGINES, TEST_REDIS_URL, testKeyPrefix, type TestDatabase } from './support/databases.js';
import { checkedFetch } from './support/openapi-conformance.js';
import { requests } from './support/requests-like.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { TEST_SECRETS } from './support/test-config.js';

/** DESIGN.md §4: any number of instances on one database and one Redis tell one truth. */
describeEngines(SERVER_ENGINES, 'two instances sharing %s and Redis', (engine) => {
  let database: TestDatabase;
  let a: ServerProcess;
  let b: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    const env = {
      SESAME_REDIS_URL: TEST_REDIS_URL!,
      SESAME_REDIS_KEY_PREFIX: testKeyPrefix(),
      SESAME_REFRESH_GRACE_SECONDS: '1',
      SESAME_ADMIN_TOKEN: TEST_SECRETS.SESAME_ADMIN_TOKEN,
    };
    // Started together on an empty database: both migrate, both want to create the first key.
    [a, b] = await Promise.all([startServer({ database: database.url, env }), startServer({ database: database.url, env })]);
    await requests.post(`${a.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
  });
  afterAll(async () => {
    await Promise.all([a.stop(), b.stop()]);
    await database.drop();
  });

  const profileByCookie = (server: ServerProcess, cookie: string) =>
    requests.get(`${server.url}/profile`, { cookies: { session_id: cookie } }).then((response) => response.statusCode);
  const profileByBearer = (server: ServerProcess, token: string) =>
    checkedFetch(`${server.url}/profile`, { headers: { authorization: `Bearer ${token}` } }).then((response) => response.status);
  const logIn = async (server: ServerProcess) =>
    (await requests.post(`${server.url}/sessions`, { data: { email: 'a@x.io', password: 'pw' } })).cookies.get('session_id')!;
  const grant = async (server: ServerProcess) =>
    (await requests.post(`${server.url}/token`, { data: { grant_type: 'password', username: 'a@x.io', password: 'pw' } })).json() as {
      access_token: string;
      refresh_token: string;
    };
  const refresh = (server: ServerProcess, token: string) =>
    requests.post(`${server.url}/token`, { data: { grant_type: 'refresh_token', refresh_token: token } });

  it('agree on one signing key', async () => {
    const [fromA, fromB] = await Promise.all([a, b].map(async (server) => (await requests.get(`${server.url}/.well-known/jwks.json`)).json()));
    expect(fromA).toEqual(fromB);
    expect((fromA as { keys: unknown[] }).keys).toHaveLength(1);
  });

  it('refuse on one, at the next request, a session logged out on the other', async () => {
    const cookie = await logIn(a);
    expect(await profileByCookie(b, cookie)).toBe(200);
    expect(await profileByCookie(a, cookie)).toBe(200);
    expect((await requests.delete(`${b.url}/sessions`, { cookies: { session_id: cookie } })).history).toEqual([302]);
    expect(await profileByCookie(a, cookie)).toBe(403);
  });

  it('verify tokens signed by the other, and refuse them once revoked there', async () => {
    const pair = await grant(a);
    expect(await profileByBearer(b, pair.access_token)).toBe(200);
    expect(await profileByBearer(a, pair.access_token)).toBe(200);
    expect((await requests.post(`${b.url}/revoke`, { data: { token: pair.refresh_token } })).statusCode).toBe(200);
    expect(await profileByBearer(a, pair.access_token)).toBe(401);
  });

  it('end everywhere the sessions a password reset on one ended', async () => {
    const cookie = await logIn(a);
    const pair = await grant(a);
    expect(await profileByCookie(a, cookie)).toBe(200);
    expect(await profileByBearer(a, pair.access_token)).toBe(200);
    const { reset_token } = (await requests.post(`${b.url}/reset_password`, { data: { email: 'a@x.io' } })).json() as { reset_token: string };
    expect((await requests.put(`${b.url}/reset_password`, { data: { email: 'a@x.io', reset_token, new_password: 'pw' } })).statusCode).toBe(200);
    expect(await profileByCookie(a, cookie)).toBe(403);
    expect(await profileByBearer(a, pair.access_token)).toBe(401);
  });

  it('end everywhere the other sessions a password change on one ended', async () => {
    const cookie = await logIn(a);
    const pair = await grant(a);
    expect(await profileByCookie(a, cookie)).toBe(200);
    const change = (password: string, newPassword: string) =>
      checkedFetch(`${b.url}/password`, {
        method: 'PUT',
        headers: { authorization: `Bearer ${pair.access_token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ password, new_password: newPassword }),
      }).then((response) => response.status);
    expect(await change('pw', 'pw2')).toBe(200);
    expect(await profileByCookie(a, cookie)).toBe(403);
    expect(await profileByBearer(a, pair.access_token)).toBe(200);
    expect(await change('pw2', 'pw')).toBe(200);
  });

  // ASVS 7.4.2 and 7.4.5: an operator's change on one instance ends the sessions the other holds in Redis.
  it.each([
    ['a disable', 'PATCH', '', { disabled: true }],
    ['a deletion', 'DELETE', '', null],
    ['a new password', 'PUT', '/password', { password: 'another password' }],
    ['the end of every session', 'DELETE', '/sessions', null],
  ] as const)('end everywhere, at the next request, the sessions of a user after %s through the admin API on one', async (_name, method, path, body) => {
    const email = `admin-${method}${path.replace('/', '-')}@x.io`.toLowerCase();
    await requests.post(`${a.url}/users`, { data: { email, password: 'pw' } });
    const cookie = (await requests.post(`${a.url}/sessions`, { data: { email, password: 'pw' } })).cookies.get('session_id')!;
    const pair = (await requests.post(`${a.url}/token`, { data: { grant_type: 'password', username: email, password: 'pw' } })).json() as { access_token: string };
    // Twice each, so that instance a answers the second from its cache.
    for (let check = 0; check < 2; check += 1) {
      expect(await profileByCookie(a, cookie)).toBe(200);
      expect(await profileByBearer(a, pair.access_token)).toBe(200);
    }
    const changed = await checkedFetch(`${b.url}/admin/users/${encodeURIComponent(email)}${path}`, {
      method,
      headers: { authorization: `Bearer ${TEST_SECRETS.SESAME_ADMIN_TOKEN}`, ...(body === null ? {} : { 'content-type': 'application/json' }) },
      ...(body === null ? {} : { body: JSON.stringify(body) }),
    });
    expect(changed.status).toBeLessThan(300);
    expect(await profileByCookie(a, cookie)).toBe(403);
    expect(await profileByBearer(a, pair.access_token)).toBe(401);
  });

  it('keep the grace window and reuse detection across instances', async () => {
    const first = await grant(a);
    const child = (await refresh(a, first.refresh_token)).json() as { refresh_token: string; access_token: string };
    const again = await refresh(b, first.refresh_token);
    expect(again.statusCode).toBe(200);
    expect((again.json() as { refresh_token: string }).refresh_token).toBe(child.refresh_token);

    await new Promise((resolve) => setTimeout(resolve, 1_100));
    expect((await refresh(b, first.refresh_token)).statusCode).toBe(400);
    expect((await refresh(a, child.refresh_token)).statusCode).toBe(400);
    expect(await profileByBearer(a, child.access_token)).toBe(401);
  });
}, ['redis']);
