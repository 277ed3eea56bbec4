import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, sessionCookieOf, type AppHarness } from '../../test/support/harness.js';
import { testConfig } from '../../test/support/test-config.js';

let h: AppHarness;
afterEach(async () => h.close());

const form = { 'content-type': 'application/x-www-form-urlencoded', host: 'auth.example.com' };

async function setUp(): Promise<{ cookie: string }> {
  h = await createAppHarness(testConfig({ http: { trustedOrigins: ['https://app.example.com'], corsOrigins: ['https://spa.example.net'] } }));
  await h.app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=pw' });
  const login = await h.app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=pw' });
  return { cookie: `session_id=${sessionCookieOf(login)}` };
}

/**
 * The three browser-reachable state changes a session cookie decides, in turn: log in, change
 * the password, log out, each with the session the one before left.
 */
async function stateChanges(cookie: string, headers: Record<string, string>) {
  const login = await h.app.inject({ method: 'POST', url: '/sessions', headers: { ...form, cookie, ...headers }, payload: 'email=a%40x.io&password=pw' });
  const current = login.statusCode === 200 ? `session_id=${sessionCookieOf(login)}` : cookie;
  const all = { ...form, cookie: current, ...headers };
  const change = await h.app.inject({ method: 'PUT', url: '/password', headers: all, payload: 'password=pw&new_password=pw' });
  const logout = await h.app.inject({ method: 'DELETE', url: '/sessions', headers: all });
  return [login, change, logout];
}

describe('cross-site requests', () => {
  it.each([
    ['Sec-Fetch-Site: cross-site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
    ['Sec-Fetch-Site: same-site from a sibling subdomain', { 'sec-fetch-site': 'same-site', origin: 'https://evil.example.com' }],
    ['an Origin that is not ours, from a browser without Fetch Metadata', { origin: 'https://evil.example' }],
    ['Origin: null (a sandboxed page)', { origin: 'null' }],
  ])('refuses log-in, password change and log-out with 403 for %s, and the session lives on', async (_name, headers) => {
    const { cookie } = await setUp();
    const responses = await stateChanges(cookie, headers);
    expect(responses.map((response) => [response.statusCode, response.json<unknown>()])).toEqual(
      Array.from({ length: 3 }, () => [403, { message: 'cross-site request refused' }]),
    );
    expect(responses[0]!.cookies).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: '/profile', headers: { cookie } })).statusCode).toBe(200);
  });

  it.each([
    ['no browser headers at all (requests, curl, a service)', {}],
    ['Sec-Fetch-Site: same-origin', { 'sec-fetch-site': 'same-origin', origin: 'https://auth.example.com' }],
    ['Sec-Fetch-Site: none (the user typed it)', { 'sec-fetch-site': 'none' }],
    ['a trusted origin, even cross-site', { 'sec-fetch-site': 'cross-site', origin: 'https://app.example.com' }],
    ['a CORS origin, even cross-site', { 'sec-fetch-site': 'cross-site', origin: 'https://spa.example.net' }],
    ['our own Origin from a browser without Fetch Metadata', { origin: 'https://auth.example.com' }],
  ])('lets through %s', async (_name, headers) => {
    const { cookie } = await setUp();
    const responses = await stateChanges(cookie, headers);
    expect(responses.map((response) => response.statusCode)).toEqual([200, 200, 302]);
  });

  it('refuses a cross-site request that carries a cookie and a Basic header the browser attached itself', async () => {
    const { cookie } = await setUp();
    const responses = await stateChanges(cookie, { authorization: 'Basic dXNlcjpwYXNz', 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' });
    expect(responses.map((response) => response.statusCode)).toEqual([403, 403, 403]);
  });

  it('refuses a cross-site log-in even with a Bearer header: the log-in is what it forges', async () => {
    await setUp();
    const login = await h.app.inject({
      method: 'POST',
      url: '/sessions',
      headers: { ...form, authorization: 'Bearer x', 'sec-fetch-site': 'cross-site' },
      payload: 'email=a%40x.io&password=pw',
    });
    expect(login.statusCode).toBe(403);
  });

  it('leaves Bearer requests alone: a page cannot add Authorization without a preflight', async () => {
    await setUp();
    const token = await h.app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=password&username=a%40x.io&password=pw' });
    const { access_token } = token.json<{ access_token: string }>();
    const logout = await h.app.inject({
      method: 'DELETE',
      url: '/sessions',
      headers: { authorization: `Bearer ${access_token}`, 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' },
    });
    expect(logout.statusCode).toBe(204);
  });
});
