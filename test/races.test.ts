import { afterEach, beforeEach, expect, it } from 'vitest';
import { ALL_ENGINES, createTestDatabase, describeEngines, type TestDatabase } from './support/databases.js';
import { createAppHarness, sessionCookieOf, type AppHarness } from './support/harness.js';
import { testConfig } from './support/test-config.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

/** The races of DESIGN.md §4, through HTTP, on every engine: atomic operations, not read-then-write. */
describeEngines(ALL_ENGINES, 'concurrent requests on %s', (engine) => {
  let database: TestDatabase;
  let h: AppHarness;

  beforeEach(async () => {
    database = await createTestDatabase(engine);
    // Concurrent log-ins to one account count against the attempt limits until they finish:
    // loosened here, to race the store itself.
    h = await createAppHarness(testConfig({ database: database.config, auth: { limits: { accountFreeFailures: 50, accountClientFailures: 50 } } }));
  });
  afterEach(async () => {
    await h.close();
    await database.drop();
  });

  const post = (url: string, payload: string) => h.app.inject({ method: 'POST', url, headers: form, payload });

  it('registers one of 50 concurrent registrations of one email', async () => {
    const responses = await Promise.all(Array.from({ length: 50 }, () => post('/users', 'email=race%40x.io&password=pw')));
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(49);
  });

  it('accepts one of 20 concurrent uses of one reset token', async () => {
    await post('/users', 'email=a%40x.io&password=pw');
    const { reset_token } = (await post('/reset_password', 'email=a%40x.io')).json<{ reset_token: string }>();
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        h.app.inject({ method: 'PUT', url: '/reset_password', headers: form, payload: `email=a%40x.io&reset_token=${reset_token}&new_password=n${index}` }),
      ),
    );
    expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.statusCode === 403)).toHaveLength(19);
  });

  it('leaves one cookie session after 10 concurrent log-ins', async () => {
    await post('/users', 'email=a%40x.io&password=pw');
    const logins = await Promise.all(Array.from({ length: 10 }, () => post('/sessions', 'email=a%40x.io&password=pw')));
    expect(logins.map((response) => response.statusCode)).toEqual(Array.from({ length: 10 }, () => 200));
    const statuses = await Promise.all(
      logins.map(async (login) => {
        const response = await h.app.inject({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${sessionCookieOf(login)}` } });
        return response.statusCode;
      }),
    );
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
  });

  it('gives 20 concurrent refreshes with one token one child, all answered', async () => {
    await post('/users', 'email=a%40x.io&password=pw');
    const { refresh_token } = (await post('/token', 'grant_type=password&username=a%40x.io&password=pw')).json<{ refresh_token: string }>();
    const responses = await Promise.all(
      Array.from({ length: 20 }, () => post('/token', `grant_type=refresh_token&refresh_token=${refresh_token}`)),
    );
    expect(responses.map((response) => response.statusCode)).toEqual(Array.from({ length: 20 }, () => 200));
    const children = new Set(responses.map((response) => response.json<{ refresh_token: string }>().refresh_token));
    expect(children.size).toBe(1);
    const [child] = children;
    expect((await post('/token', `grant_type=refresh_token&refresh_token=${child}`)).statusCode).toBe(200);
  });
});
