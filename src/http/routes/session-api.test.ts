import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, sessionCookieOf, type AppHarness } from '../../../test/support/harness.js';
import { testConfig } from '../../../test/support/test-config.js';
import { hashSecret } from '../../core/secrets.js';

let h: AppHarness;
const payloads: string[] = [];

afterEach(async () => {
  // No answer may ever carry a password hash or a stored token hash.
  for (const payload of payloads) {
    expect(payload).not.toMatch(/\$argon2|\$2[aby]\$/);
    expect(payload).not.toMatch(/[0-9a-f]{64}/);
  }
  payloads.length = 0;
  await h.close();
});

async function setUp(overrides: Parameters<typeof testConfig>[0] = {}): Promise<AppHarness> {
  h = await createAppHarness(testConfig(overrides));
  return h;
}

async function call(options: InjectOptions): Promise<LightMyRequestResponse> {
  const response = await h.app.inject(options);
  payloads.push(response.payload);
  return response;
}

function form(fields: Record<string, string>): Pick<InjectOptions, 'headers' | 'payload'> {
  return {
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: new URLSearchParams(fields).toString(),
  };
}

const withCookie = (sessionId: string) => ({ cookie: `session_id=${sessionId}` });

async function register(email: string, password: string): Promise<void> {
  const response = await call({ method: 'POST', url: '/users', ...form({ email, password }) });
  expect(response.statusCode).toBe(200);
}

async function logIn(email: string, password: string): Promise<string> {
  const response = await call({ method: 'POST', url: '/sessions', ...form({ email, password }) });
  expect(response.statusCode).toBe(200);
  const cookie = sessionCookieOf(response);
  expect(cookie).not.toBeNull();
  return cookie!;
}

async function profileStatus(sessionId: string): Promise<number> {
  return (await call({ method: 'GET', url: '/profile', headers: withCookie(sessionId) })).statusCode;
}

describe('GET /', () => {
  it('welcomes', async () => {
    await setUp();
    const response = await call({ method: 'GET', url: '/' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'Bienvenue' });
    expect(response.headers['content-type']).toMatch(/^application\/json/);
  });
});

describe('POST /users', () => {
  it('registers from form fields and echoes the email as sent', async () => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', ...form({ email: 'Bob@Example.com', password: 'pw' }) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'Bob@Example.com', message: 'user created' });
  });

  it('registers from JSON too', async () => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', payload: { email: 'j@x.io', password: 'pw' } });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'j@x.io', message: 'user created' });
  });

  it('answers an existing email with exactly the contract body, whatever its case', async () => {
    await setUp();
    await register('bob@example.com', 'pw');
    const response = await call({ method: 'POST', url: '/users', ...form({ email: 'BOB@example.com', password: 'x' }) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'email already registered' });
  });

  it('ignores unknown fields', async () => {
    await setUp();
    const response = await call({
      method: 'POST',
      url: '/users',
      ...form({ email: 'a@x.io', password: 'pw', is_admin: 'true', id: 'chosen' }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'a@x.io', message: 'user created' });
  });

  it.each([
    [{ password: 'pw' }, 'email is required'],
    [{ email: 'a@x.io' }, 'password is required'],
    [{ email: '', password: 'pw' }, 'email is empty'],
    [{ email: 'a@x.io', password: '' }, 'password is empty'],
    [{ email: 'a\u0001@x.io', password: 'pw' }, 'email contains a control character'],
  ])('refuses %j with 400 and a clear message', async (fields, message) => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', ...form(fields) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message });
  });

  it.each([
    [{ email: ['a@x.io'], password: 'pw' }, 'email must be a string'],
    [{ email: { $gt: '' }, password: 'pw' }, 'email must be a string'],
    [{ email: 'a@x.io', password: 12345 }, 'password must be a string'],
    [{ email: null, password: 'pw' }, 'email must be a string'],
    [['a@x.io', 'pw'], 'request body must be form fields or a JSON object'],
  ])('refuses the JSON body %j without coercing it', async (payload, message) => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', payload: JSON.stringify(payload), headers: { 'content-type': 'application/json' } });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message });
  });

  it('refuses a field sent twice', async () => {
    await setUp();
    const response = await call({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a@x.io&password=pw&email=b@x.io',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'field sent more than once: email' });
  });

  it('refuses JSON that tries to poison prototypes', async () => {
    await setUp();
    const response = await call({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":"a@x.io","password":"pw","__proto__":{"isAdmin":true}}',
    });
    expect(response.statusCode).toBe(400);
    expect(Object.keys(response.json<object>())).toEqual(['message']);
  });

  it('accepts prototype-named form fields as ordinary, ignored fields', async () => {
    await setUp();
    const response = await call({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      payload: 'email=a@x.io&password=pw&__proto__=x&constructor=y',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'a@x.io', message: 'user created' });
  });

  it('refuses a JSON key sent twice', async () => {
    await setUp();
    const response = await call({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/json' },
      payload: '{"email":"a@x.io","password":"pw","email":"b@x.io"}',
    });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'field sent more than once: email' });
  });

  it.each([
    ['text/plain', 'email=a@x.io&password=pw', 415, 'unsupported content type: send application/x-www-form-urlencoded or application/json'],
    ['multipart/form-data; boundary=x', '--x--', 415, 'unsupported content type: send application/x-www-form-urlencoded or application/json'],
    ['application/json', '{"email": "a@x.io", "password": ', 400, 'request body is not valid JSON'],
    ['application/json', '', 400, 'request body is empty'],
    ['application/x-www-form-urlencoded; charset=latin1', 'email=a@x.io&password=%E9', 415, 'unsupported charset: send UTF-8'],
    ['application/json; charset="UTF-16"', '{"email": "a@x.io", "password": "pw"}', 415, 'unsupported charset: send UTF-8'],
    ['application/jsonx', '{"email": "a@x.io", "password": "pw"}', 415, 'unsupported content type: send application/x-www-form-urlencoded or application/json'],
    ['application/vnd.api+json', '{"email": "a@x.io", "password": "pw"}', 415, 'unsupported content type: send application/x-www-form-urlencoded or application/json'],
    ['application/x-www-form-urlencodedx', 'email=a@x.io&password=pw', 415, 'unsupported content type: send application/x-www-form-urlencoded or application/json'],
    ['application/json, text/plain', '{"email": "a@x.io", "password": "pw"}', 415, 'unsupported content type: send application/x-www-form-urlencoded or application/json'],
  ])('answers a %s body %j with %i', async (contentType, payload, status, message) => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload });
    expect(response.statusCode).toBe(status);
    expect(response.json()).toEqual({ message });
  });

  it('answers a body without a content type as a missing body', async () => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users' });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'request body must be form fields or a JSON object' });
  });

  it('accepts a charset parameter on the content type', async () => {
    await setUp();
    const response = await call({
      method: 'POST',
      url: '/users',
      headers: { 'content-type': 'application/x-www-form-urlencoded; charset=UTF-8' },
      payload: 'email=%C3%A9l%C3%A8ve%40x.io&password=pw',
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'élève@x.io', message: 'user created' });
  });

  it.each([
    ['a password percent-encoding a byte that is not UTF-8', 'application/x-www-form-urlencoded', Buffer.from('email=a@x.io&password=%FFpw'), 'password is not valid UTF-8'],
    ['a password cut inside a percent-encoded character', 'application/x-www-form-urlencoded', Buffer.from('email=a@x.io&password=%C3'), 'password is not valid UTF-8'],
    ['a field name that is not UTF-8', 'application/x-www-form-urlencoded', Buffer.from('email=a@x.io&password=pw&%FE=x'), 'a field name is not valid UTF-8'],
    ['raw form bytes that are not UTF-8', 'application/x-www-form-urlencoded', Buffer.concat([Buffer.from('email=a@x.io&password=p'), Buffer.from([0xff])]), 'request body is not valid UTF-8'],
    ['raw JSON bytes that are not UTF-8', 'application/json', Buffer.concat([Buffer.from('{"email":"a@x.io","password":"p'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), 'request body is not valid UTF-8'],
  ])('refuses %s rather than making it U+FFFD', async (_case, contentType, payload, message) => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', headers: { 'content-type': contentType }, payload });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message });
  });

  it('keeps two passwords apart that differ only in bytes that are not UTF-8', async () => {
    await setUp();
    const send = (url: string, password: string) =>
      call({ method: 'POST', url, headers: { 'content-type': 'application/x-www-form-urlencoded' }, payload: `email=a@x.io&password=${password}` });
    await send('/users', '%C3%A9%FF');
    expect((await send('/sessions', '%C3%A9%FE')).statusCode).toBe(400);
    expect((await send('/sessions', '%C3%A9%EF%BF%BD')).statusCode).toBe(401);
  });

  it('refuses an oversized body with 413', async () => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', ...form({ email: 'a@x.io', password: 'x'.repeat(40_000) }) });
    expect(response.statusCode).toBe(413);
    expect(response.json()).toEqual({ message: 'request body is too large' });
  });

  it('refuses a password over 1024 characters', async () => {
    await setUp();
    const response = await call({ method: 'POST', url: '/users', ...form({ email: 'a@x.io', password: 'x'.repeat(1025) }) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'password is longer than 1024 characters' });
  });

  it('registers one user when 50 register the same email at once', async () => {
    await setUp();
    const responses = await Promise.all(
      Array.from({ length: 50 }, () => call({ method: 'POST', url: '/users', ...form({ email: 'race@x.io', password: 'pw' }) })),
    );
    const statuses = responses.map((response) => response.statusCode);
    expect(statuses.filter((status) => status === 200)).toHaveLength(1);
    expect(statuses.filter((status) => status === 400)).toHaveLength(49);
  });
});

describe('POST /sessions', () => {
  it('logs in and sets the session_id cookie: Path=/, HttpOnly, SameSite=Lax', async () => {
    await setUp();
    await register('guillaume@holberton.io', 'b4l0u');
    const response = await call({ method: 'POST', url: '/sessions', ...form({ email: 'guillaume@holberton.io', password: 'b4l0u' }) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'guillaume@holberton.io', message: 'logged in' });
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^session_id=[A-Za-z0-9_-]{43}; /);
    expect(setCookie).toContain('Path=/');
    expect(setCookie).toContain('HttpOnly');
    expect(setCookie).toContain('SameSite=Lax');
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it('answers a wrong password and an unknown email with the same 401', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const wrong = await call({ method: 'POST', url: '/sessions', ...form({ email: 'a@x.io', password: 'nope' }) });
    const unknown = await call({ method: 'POST', url: '/sessions', ...form({ email: 'b@x.io', password: 'pw' }) });
    expect(wrong.statusCode).toBe(401);
    expect(unknown.statusCode).toBe(401);
    expect(wrong.payload).toBe(unknown.payload);
    expect(wrong.json()).toEqual({ message: 'wrong email or password' });
    expect(wrong.headers['set-cookie']).toBeUndefined();
  });

  it('refuses missing fields with 400', async () => {
    await setUp();
    const response = await call({ method: 'POST', url: '/sessions', ...form({ email: 'a@x.io' }) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'password is required' });
  });

  it('ends the previous cookie session: one cookie session per user', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const first = await logIn('a@x.io', 'pw');
    const second = await logIn('a@x.io', 'pw');
    expect(await profileStatus(first)).toBe(403);
    expect(await profileStatus(second)).toBe(200);
  });

  it('leaves exactly one working cookie after concurrent log-ins', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const responses = await Promise.all(
      Array.from({ length: 10 }, () => call({ method: 'POST', url: '/sessions', ...form({ email: 'a@x.io', password: 'pw' }) })),
    );
    const statuses = await Promise.all(responses.map((response) => profileStatus(sessionCookieOf(response)!)));
    expect(statuses.sort()).toEqual([200, ...Array.from({ length: 9 }, () => 403)]);
  });

  it('replaces the session the browser presents even when several sessions are allowed', async () => {
    await setUp({ auth: { singleCookieSession: false } });
    await register('a@x.io', 'pw');
    const other = await logIn('a@x.io', 'pw');
    const old = await logIn('a@x.io', 'pw');
    const response = await call({
      method: 'POST',
      url: '/sessions',
      headers: { ...form({}).headers, ...withCookie(old) },
      payload: 'email=a%40x.io&password=pw',
    });
    expect(response.statusCode).toBe(200);
    expect(sessionCookieOf(response)).not.toBe(old);
    expect(await profileStatus(old)).toBe(403);
    expect(await profileStatus(other)).toBe(200);
  });

  it('answers 503 with Retry-After instead of queueing hashes without bound', async () => {
    // A real cost (argon2id at 8 MiB) keeps each hash busy long enough for the burst to pile up.
    await setUp({ hashing: { memoryKib: 8192, iterations: 2, concurrency: 1, queueLimit: 2 } });
    const responses = await Promise.all(
      Array.from({ length: 12 }, (_, index) =>
        call({ method: 'POST', url: '/users', ...form({ email: `u${index}@x.io`, password: 'pw' }) }),
      ),
    );
    const refused = responses.filter((response) => response.statusCode === 503);
    expect(responses.filter((response) => response.statusCode === 200).length).toBeGreaterThanOrEqual(3);
    expect(refused.length).toBeGreaterThan(0);
    for (const response of refused) {
      expect(response.headers['retry-after']).toBe('1');
      expect(response.json()).toEqual({ message: 'server busy, retry shortly' });
    }
  });
});

describe('GET /profile', () => {
  it('answers the stored email, not the one used to log in', async () => {
    await setUp();
    await register('Bob@Example.com', 'pw');
    const cookie = await logIn('bob@example.COM', 'pw');
    const response = await call({ method: 'GET', url: '/profile', headers: withCookie(cookie) });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'Bob@Example.com' });
    expect(response.headers['cache-control']).toBe('no-store');
  });

  it.each([
    ['no cookie', {}],
    ['an empty cookie', { cookie: 'session_id=' }],
    ['an unknown session', withCookie('A'.repeat(43))],
    ['a malformed session', withCookie('not a token')],
    ['another cookie name', { cookie: 'session=abc' }],
  ])('refuses %s with 403', async (_case, headers) => {
    await setUp();
    const response = await call({ method: 'GET', url: '/profile', headers });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ message: 'no valid session' });
  });

  it('refuses a session past its idle timeout', async () => {
    await setUp({ auth: { sessionIdleTimeoutSeconds: 300 } });
    await register('a@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    h.clock.advanceSeconds(299);
    expect(await profileStatus(cookie)).toBe(200);
    h.clock.advanceSeconds(300);
    expect(await profileStatus(cookie)).toBe(403);
  });
});

describe('DELETE /sessions', () => {
  it('ends the session, clears the cookie and redirects to /', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    const response = await call({ method: 'DELETE', url: '/sessions', headers: withCookie(cookie) });
    expect(response.statusCode).toBe(302);
    expect(response.headers.location).toBe('/');
    const setCookie = String(response.headers['set-cookie']);
    expect(setCookie).toMatch(/^session_id=;/);
    expect(setCookie).toContain('Max-Age=0');
    expect(setCookie).toContain('Path=/');
    expect(await profileStatus(cookie)).toBe(403);
    const again = await call({ method: 'DELETE', url: '/sessions', headers: withCookie(cookie) });
    expect(again.statusCode).toBe(403);
  });

  it('refuses without a session with 403', async () => {
    await setUp();
    for (const headers of [{}, withCookie('A'.repeat(43))]) {
      const response = await call({ method: 'DELETE', url: '/sessions', headers });
      expect(response.statusCode).toBe(403);
      expect(response.json()).toEqual({ message: 'no valid session' });
    }
  });
});

describe('POST /reset_password', () => {
  it('answers a reset token for a registered email', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const response = await call({ method: 'POST', url: '/reset_password', ...form({ email: 'a@x.io' }) });
    expect(response.statusCode).toBe(200);
    const body = response.json<{ email: string; reset_token: string }>();
    expect(Object.keys(body).sort()).toEqual(['email', 'reset_token']);
    expect(body.email).toBe('a@x.io');
    expect(body.reset_token).toMatch(/^[A-Za-z0-9_-]{43}$/);
  });

  it('refuses an unregistered email with 403 and a missing one with 400', async () => {
    await setUp();
    const unknown = await call({ method: 'POST', url: '/reset_password', ...form({ email: 'nobody@x.io' }) });
    expect(unknown.statusCode).toBe(403);
    expect(unknown.json()).toEqual({ message: 'email not registered' });
    const missing = await call({ method: 'POST', url: '/reset_password', ...form({}) });
    expect(missing.statusCode).toBe(400);
  });
});

describe('PUT /reset_password', () => {
  async function resetToken(email: string): Promise<string> {
    const response = await call({ method: 'POST', url: '/reset_password', ...form({ email }) });
    return response.json<{ reset_token: string }>().reset_token;
  }

  it('sets the new password, ends every session and consumes the token', async () => {
    await setUp();
    await register('a@x.io', 'old');
    const cookie = await logIn('a@x.io', 'old');
    const token = await resetToken('a@x.io');
    const response = await call({
      method: 'PUT',
      url: '/reset_password',
      ...form({ email: 'a@x.io', reset_token: token, new_password: 'new' }),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ email: 'a@x.io', message: 'Password updated' });
    expect(await profileStatus(cookie)).toBe(403);
    const oldLogin = await call({ method: 'POST', url: '/sessions', ...form({ email: 'a@x.io', password: 'old' }) });
    expect(oldLogin.statusCode).toBe(401);
    await logIn('a@x.io', 'new');
    const reused = await call({ method: 'PUT', url: '/reset_password', ...form({ email: 'a@x.io', reset_token: token, new_password: 'x' }) });
    expect(reused.statusCode).toBe(403);
  });

  it.each([
    ['a wrong token', () => 'A'.repeat(43), 'a@x.io'],
    ['an empty token', () => '', 'a@x.io'],
    ["another user's email", (token: string) => token, 'b@x.io'],
    ['an unknown email', (token: string) => token, 'nobody@x.io'],
  ])('refuses %s with 403', async (_case, pick, email) => {
    await setUp();
    await register('a@x.io', 'pw');
    await register('b@x.io', 'pw');
    const token = await resetToken('a@x.io');
    const response = await call({ method: 'PUT', url: '/reset_password', ...form({ email, reset_token: pick(token), new_password: 'new' }) });
    expect(response.statusCode).toBe(403);
    expect(response.json()).toEqual({ message: 'invalid or expired reset token' });
  });

  it('refuses an expired token with 403', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const token = await resetToken('a@x.io');
    h.clock.advanceSeconds(3600);
    const response = await call({ method: 'PUT', url: '/reset_password', ...form({ email: 'a@x.io', reset_token: token, new_password: 'new' }) });
    expect(response.statusCode).toBe(403);
  });

  it('refuses a missing field with 400, never matching a user without a pending reset', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const response = await call({ method: 'PUT', url: '/reset_password', ...form({ email: 'a@x.io', new_password: 'new' }) });
    expect(response.statusCode).toBe(400);
    expect(response.json()).toEqual({ message: 'reset_token is required' });
    await logIn('a@x.io', 'pw');
  });

  it('lets one of 20 concurrent resets with one token succeed', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const token = await resetToken('a@x.io');
    const responses = await Promise.all(
      Array.from({ length: 20 }, (_, index) =>
        call({ method: 'PUT', url: '/reset_password', ...form({ email: 'a@x.io', reset_token: token, new_password: `n${index}` }) }),
      ),
    );
    expect(responses.filter((response) => response.statusCode === 200)).toHaveLength(1);
    expect(responses.filter((response) => response.statusCode === 403)).toHaveLength(19);
  });
});

describe('PUT /password', () => {
  it('changes the password with the current one and ends every other session', async () => {
    await setUp({ auth: { singleCookieSession: false } });
    await register('a@x.io', 'old');
    const current = await logIn('a@x.io', 'old');
    const other = await logIn('a@x.io', 'old');
    const response = await call({
      method: 'PUT',
      url: '/password',
      headers: { ...form({}).headers, ...withCookie(current) },
      payload: new URLSearchParams({ password: 'old', new_password: 'new' }).toString(),
    });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ message: 'Password updated' });
    expect(await profileStatus(current)).toBe(200);
    expect(await profileStatus(other)).toBe(403);
    await logIn('a@x.io', 'new');
  });

  it('answers 401 for a wrong current password, 403 without a session, 400 for a missing field', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    const change = (headers: Record<string, string>, fields: Record<string, string>) =>
      call({ method: 'PUT', url: '/password', headers: { ...form({}).headers, ...headers }, payload: new URLSearchParams(fields).toString() });

    const wrong = await change(withCookie(cookie), { password: 'nope', new_password: 'new' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.json()).toEqual({ message: 'wrong email or password' });
    const anonymous = await change({}, { password: 'pw', new_password: 'new' });
    expect(anonymous.statusCode).toBe(403);
    const missing = await change(withCookie(cookie), { password: 'pw' });
    expect(missing.statusCode).toBe(400);
    expect(missing.json()).toEqual({ message: 'new_password is required' });
    await logIn('a@x.io', 'pw');
  });
});

describe("the caller's own sessions: GET /sessions and DELETE /sessions/{id}", () => {
  interface OwnSession {
    id: string;
    kind: string;
    current: boolean;
    user_agent: string | null;
    client_address: string | null;
  }
  async function grant(email: string, password: string, userAgent?: string): Promise<string> {
    const headers = userAgent === undefined ? {} : { 'user-agent': userAgent };
    const response = await call({ method: 'POST', url: '/token', headers, payload: { grant_type: 'password', username: email, password } });
    expect(response.statusCode).toBe(200);
    return response.json<{ access_token: string }>().access_token;
  }
  const list = async (headers: Record<string, string>) => {
    const response = await call({ method: 'GET', url: '/sessions', headers });
    expect(response.statusCode).toBe(200);
    return response.json<{ sessions: OwnSession[] }>().sessions;
  };

  it('lists them newest first, with the User-Agent of each sign-in and the current one marked, by cookie or Bearer', async () => {
    await setUp({ auth: { singleCookieSession: false } });
    await register('a@x.io', 'pw');
    await register('b@x.io', 'pw');
    const cookie = (await call({ method: 'POST', url: '/sessions', headers: { ...form({}).headers, 'user-agent': 'Firefox/140' }, payload: 'email=a%40x.io&password=pw' })).cookies[0]!.value;
    h.clock.advanceSeconds(1);
    const token = await grant('a@x.io', 'pw', `service/${'x'.repeat(400)}`);
    await grant('b@x.io', 'pw');

    const byCookie = await list(withCookie(cookie));
    expect(byCookie.map((session) => [session.kind, session.current, session.client_address])).toEqual([
      ['token', false, '127.0.0.1'],
      ['cookie', true, '127.0.0.1'],
    ]);
    expect(byCookie[1]!.user_agent).toBe('Firefox/140');
    // Kept, cut short: nothing else about the device.
    expect(byCookie[0]!.user_agent!.startsWith('service/xxx')).toBe(true);
    expect(byCookie[0]!.user_agent!.length).toBeLessThanOrEqual(256);
    expect(Object.keys(byCookie[0]!).sort()).toEqual(['client_address', 'created_at', 'current', 'expires_at', 'id', 'kind', 'last_seen_at', 'user_agent']);
    const byBearer = await list({ authorization: `Bearer ${token}` });
    expect(byBearer.map((session) => [session.id, session.current])).toEqual([
      [byCookie[0]!.id, true],
      [byCookie[1]!.id, false],
    ]);
  });

  it('ends one of them, and answers an unknown id or another user\'s as not found', async () => {
    await setUp({ auth: { singleCookieSession: false } });
    await register('a@x.io', 'pw');
    await register('b@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    const token = await grant('a@x.io', 'pw');
    const othersToken = await grant('b@x.io', 'pw');
    const [tokenSession] = (await list(withCookie(cookie))).filter((session) => !session.current);
    const [othersSession] = await list({ authorization: `Bearer ${othersToken}` });

    for (const id of [othersSession!.id, 'AAAAAAAAAAAAAAAAAAAAAA', 'x', 'a'.repeat(500)]) {
      const response = await call({ method: 'DELETE', url: `/sessions/${id}`, headers: withCookie(cookie) });
      expect(response.statusCode, id).toBe(404);
      expect(response.json()).toEqual({ message: 'session not found' });
    }
    expect((await call({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${othersToken}` } })).statusCode).toBe(200);
    const ended = await call({ method: 'DELETE', url: `/sessions/${tokenSession!.id}`, headers: withCookie(cookie) });
    expect(ended.statusCode).toBe(204);
    expect(ended.payload).toBe('');
    expect((await call({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${token}` } })).statusCode).toBe(401);
    expect(await profileStatus(cookie)).toBe(200);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'session_ended', sessionId: tokenSession!.id }));
    // Its own current session too, as a log-out would.
    const [current] = await list(withCookie(cookie));
    expect((await call({ method: 'DELETE', url: `/sessions/${current!.id}`, headers: withCookie(cookie) })).statusCode).toBe(204);
    expect(await profileStatus(cookie)).toBe(403);
  });

  it('needs a session like GET /profile does, and refuses a cross-site browser request', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    for (const [method, url] of [['GET', '/sessions'], ['DELETE', '/sessions/AAAAAAAAAAAAAAAAAAAAAA']] as const) {
      expect((await call({ method, url })).statusCode).toBe(403);
      expect((await call({ method, url, headers: withCookie('forged') })).statusCode).toBe(403);
      const badBearer = await call({ method, url, headers: { authorization: 'Bearer nope' } });
      expect(badBearer.statusCode).toBe(401);
      expect(badBearer.headers['www-authenticate']).toBe('Bearer error="invalid_token"');
      const crossSite = await call({ method, url, headers: { ...withCookie(cookie), origin: 'https://evil.example', 'sec-fetch-site': 'cross-site' } });
      expect(crossSite.statusCode).toBe(403);
    }
    expect(await profileStatus(cookie)).toBe(200);
  });
});

describe('every response', () => {
  it('carries nosniff, no-referrer and no-store, and no X-Powered-By', async () => {
    await setUp();
    for (const url of ['/', '/profile', '/nowhere']) {
      const response = await call({ method: 'GET', url });
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-powered-by']).toBeUndefined();
    }
  });

  it('answers unknown routes and methods with a 404 in the message shape', async () => {
    await setUp();
    for (const [method, url] of [['GET', '/nowhere'], ['PATCH', '/users'], ['PUT', '/sessions']] as const) {
      const response = await call({ method, url });
      expect(response.statusCode).toBe(404);
      expect(response.json()).toEqual({ message: 'not found' });
    }
  });

  it('answers 503, not 500, when the store is gone', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    await h.store.close();
    const response = await call({ method: 'GET', url: '/profile', headers: withCookie(cookie) });
    expect(response.statusCode).toBe(503);
    expect(response.headers['retry-after']).toBe('5');
    expect(response.json()).toEqual({ message: 'service unavailable, retry shortly' });
  });

  it('stores only hashes of the secrets it hands out', async () => {
    await setUp();
    await register('a@x.io', 'pw');
    const cookie = await logIn('a@x.io', 'pw');
    expect(await h.store.findSessionByTokenHash(cookie)).toBeNull();
    expect(await h.store.findSessionByTokenHash(hashSecret(cookie))).not.toBeNull();
  });
});
