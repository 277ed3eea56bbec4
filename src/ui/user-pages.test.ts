import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from '../../test/support/harness.js';
import { testConfig, testUiConfig, type ConfigOverrides } from '../../test/support/test-config.js';
import { expectSessionButtonsToldApart } from '../../test/support/page-checks.js';
import { MESSAGES, type MessageKey } from './messages.js';
import { PAGE_HEADERS } from './page-security.js';

/**
 * The user pages over HTTP, as a browser without JavaScript uses them: forms posted with the
 * cookies and the form token the last answers gave, redirects followed by hand.
 */
let h: AppHarness;
afterEach(async () => h.close());

const PASSWORD = 'correct horse battery';
// The compat profile's single cookie session would end the others at each log-in.
const MANY_SESSIONS: ConfigOverrides = { auth: { singleCookieSession: false } };
const SAME_ORIGIN = { 'sec-fetch-site': 'same-origin', origin: 'http://localhost:80' };

async function setUp(overrides: ConfigOverrides = {}): Promise<AppHarness> {
  h = await createAppHarness(testConfig({ ...overrides, http: { ...overrides.http, ui: { ...testUiConfig(), ...overrides.http?.ui, hasPasswordReset: true } } }));
  return h;
}

/** One browser: its cookies, and the form token of the last page it loaded. */
class Visitor {
  readonly cookies = new Map<string, string>();
  token = '';
  constructor(readonly headers: Record<string, string> = SAME_ORIGIN) {}

  #keep(response: LightMyRequestResponse): LightMyRequestResponse {
    for (const cookie of response.cookies) {
      if (cookie.maxAge === 0 || cookie.value === '') this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    this.token = /name="form_token" value="([^"]+)"/.exec(response.body)?.[1] ?? this.token;
    return response;
  }

  #cookieHeader(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.#keep(await h.app.inject({ method: 'GET', url, headers: this.#cookieHeader() }));
  }

  async post(url: string, fields: Record<string, string>, { token = this.token, headers = this.headers } = {}): Promise<LightMyRequestResponse> {
    const payload = new URLSearchParams({ ...fields, ...(token === '' ? {} : { form_token: token }) }).toString();
    return this.#keep(
      await h.app.inject({ method: 'POST', url, payload, headers: { ...headers, ...this.#cookieHeader(), 'content-type': 'application/x-www-form-urlencoded' } }),
    );
  }
}

// A deployer's translation of some keys: a page shows these, never the core's English.
const TRANSLATED: Partial<Record<MessageKey, string>> = {
  'error.input.password_too_short': 'Au moins {min} caractères.',
  'error.input.email_without_at': 'Il manque le @.',
  'error.input.password_too_many_bytes': 'Trop long.',
  'error.invalid_credentials': 'Courriel ou mot de passe faux.',
  'format.moment': '{date} à {time} (UTC)',
  'format.separator': ' ; ',
  'session.kind.cookie': 'Session de navigateur',
};
const TWELVE: ConfigOverrides = {
  auth: { password: { minLength: 12 } },
  http: { ui: { ...testUiConfig(), passwordMinLength: 12, messages: { ...MESSAGES, ...TRANSLATED } } },
};

/** The fields a page marks as in error: invalid, described by the error, focused. */
function fieldsInError(body: string): string[] {
  return [...body.matchAll(/<input id="field-(\w+)"[^>]*>/g)]
    .filter(([input]) => input.includes('aria-invalid="true"') && input.includes('autofocus') && /aria-describedby="form-error[ "]/.test(input))
    .map((match) => match[1]!);
}

/** The `minlength` of each input that has one. */
function minLengths(body: string): Record<string, string> {
  return Object.fromEntries([...body.matchAll(/<input id="field-(\w+)"[^>]* minlength="(\d+)"/g)].map((match) => [match[1]!, match[2]!]));
}

async function signedUp(visitor: Visitor, email: string): Promise<void> {
  await visitor.get('/ui/signup');
  expect((await visitor.post('/ui/signup', { email, password: PASSWORD })).headers.location).toBe('/ui/login?notice=registered');
}

async function loggedIn(visitor: Visitor, email: string): Promise<void> {
  await visitor.get('/ui/login');
  const answer = await visitor.post('/ui/login', { email, password: PASSWORD });
  expect(answer.statusCode).toBe(303);
  expect(answer.headers.location).toBe('/ui/account');
}

function expectPageHeaders(response: LightMyRequestResponse): void {
  expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
  for (const [name, value] of Object.entries(PAGE_HEADERS)) expect(response.headers[name], name).toBe(value);
  expect(response.headers['cache-control']).toBe('no-store');
  expect(response.headers['referrer-policy']).toBe('no-referrer');
  expect(response.headers['x-content-type-options']).toBe('nosniff');
  // Nothing the CSP would block: no inline script, style or handler.
  expect(response.body).not.toMatch(/<script|<style|\sstyle=|\son[a-z]+=/i);
}

describe('the user pages', () => {
  it('answer every page with the strict headers and no inline code', async () => {
    await setUp();
    const visitor = new Visitor();
    for (const url of ['/ui/login', '/ui/signup', '/ui/forgot-password', '/ui/reset-password']) {
      const page = await visitor.get(url);
      expect(page.statusCode, url).toBe(200);
      expectPageHeaders(page);
    }
    await signedUp(visitor, 'pages@example.com');
    await loggedIn(visitor, 'pages@example.com');
    const account = await visitor.get('/ui/account');
    expect(account.statusCode).toBe(200);
    expectPageHeaders(account);
    expect(account.body).toContain('Signed in as <bdi>pages@example.com</bdi>');
    const refused = await visitor.post('/ui/login', {}, { token: '' });
    expect(refused.statusCode).toBe(403);
    expectPageHeaders(refused);
  });

  it('show a notice only for a name on their list, never for one every object inherits', async () => {
    await setUp();
    const visitor = new Visitor();
    expect((await visitor.get('/ui/login?notice=registered')).body).toContain('Your account is ready.');
    for (const name of ['constructor', '__proto__', 'toString', 'hasOwnProperty', 'valueOf']) {
      const page = await visitor.get(`/ui/login?notice=${name}`);
      expect(page.statusCode, name).toBe(200);
      expect(page.body, name).not.toContain('role="status"');
    }
  });

  it('show the signed-in email with invisible and direction characters spelt out, isolated from the text around it', async () => {
    await setUp();
    const visitor = new Visitor();
    const email = '\u202Emoc.elpmaxe@spo\u200B';
    await signedUp(visitor, email);
    await loggedIn(visitor, email);
    const account = await visitor.get('/ui/account');
    expect(account.body).toContain('Signed in as <bdi><span class="unseen">&lt;U+202E&gt;</span>moc.elpmaxe@spo<span class="unseen">&lt;U+200B&gt;</span></bdi>');
  });

  it('sign up, log in, change the password, end another session and log out without a line of script', async () => {
    await setUp(MANY_SESSIONS);
    const browser = new Visitor();
    const other = new Visitor();
    await signedUp(browser, 'nojs@example.com');
    await loggedIn(other, 'nojs@example.com');
    await loggedIn(browser, 'nojs@example.com');
    let account = await browser.get('/ui/account');
    const ids = [...account.body.matchAll(/name="session_id" value="([^"]+)"/g)].map((match) => match[1]!);
    expect(ids).toHaveLength(1);
    expect((await browser.post('/ui/account/sessions/end', { session_id: ids[0]! })).headers.location).toBe('/ui/account?notice=session_ended');
    expect((await other.get('/ui/account')).headers.location).toMatch(/^\/ui\/login/);

    const wrong = await browser.post('/ui/account/password', { password: 'not it', new_password: 'a new pass phrase' });
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('role="alert"');
    expect(wrong.body).toContain('Wrong email or password.');
    const changed = await browser.post('/ui/account/password', { password: PASSWORD, new_password: 'a new pass phrase' });
    expect(changed.headers.location).toBe('/ui/account?notice=password_changed');
    account = await browser.get('/ui/account?notice=password_changed');
    expect(account.body).toContain('Your password has changed.');

    const out = await browser.post('/ui/logout', {});
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/ui/login?notice=logged_out');
    expect(out.headers['clear-site-data']).toBe('"cookies"');
    expect(browser.cookies.has('session_id')).toBe(false);
    expect((await browser.get('/ui/account')).statusCode).toBe(303);
  });

  it('ends every other session at once', async () => {
    await setUp(MANY_SESSIONS);
    const [browser, second, third] = [new Visitor(), new Visitor(), new Visitor()];
    await signedUp(browser, 'others@example.com');
    for (const visitor of [second, third, browser]) await loggedIn(visitor, 'others@example.com');
    const before = await browser.get('/ui/account');
    expect(before.body.match(/name="session_id"/g)).toHaveLength(2);
    expect((await browser.post('/ui/account/sessions/end-others', {})).headers.location).toBe('/ui/account?notice=others_ended');
    expect((await second.get('/ui/account')).statusCode).toBe(303);
    expect((await third.get('/ui/account')).statusCode).toBe(303);
    const account = await browser.get('/ui/account');
    expect(account.statusCode).toBe(200);
    expect(account.body).toContain('No other session is open.');
  });

  it('refuse a form without its token, with a wrong one, or sent from another site', async () => {
    await setUp();
    const visitor = new Visitor();
    await signedUp(visitor, 'csrf@example.com');
    await visitor.get('/ui/login');
    const fields = { email: 'csrf@example.com', password: PASSWORD };
    const refusals = [
      await visitor.post('/ui/login', fields, { token: '' }),
      await visitor.post('/ui/login', fields, { token: 'A'.repeat(43) }),
      // No Fetch Metadata and no Origin (an old browser): the token alone decides.
      await visitor.post('/ui/login', fields, { token: '', headers: {} }),
      await visitor.post('/ui/login', fields, { headers: { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' } }),
      await visitor.post('/ui/login', fields, { headers: { 'sec-fetch-site': 'same-site', origin: 'https://sub.example.com' } }),
      await visitor.post('/ui/login', fields, { headers: { origin: 'https://evil.example' } }),
    ];
    for (const refused of refusals) {
      expect(refused.statusCode).toBe(403);
      expect(refused.body).toContain('This form expired or came from another site.');
      expect(refused.headers['set-cookie'] ?? '').not.toContain('session_id=');
    }
    expect((await visitor.post('/ui/login', fields, { headers: {} })).statusCode).toBe(303);
  });

  it('name the form cookie __Host- over https, which a sibling subdomain cannot set, and the plain name over http', async () => {
    await setUp({ http: { trustProxy: ['10.0.0.2'] } });
    const viaProxy = { remoteAddress: '10.0.0.2', headers: { 'x-forwarded-proto': 'https' } };
    const https = await h.app.inject({ method: 'GET', url: '/ui/login', ...viaProxy });
    const token = /name="form_token" value="([^"]+)"/.exec(https.body)![1]!;
    expect(https.cookies.find((cookie) => cookie.name === '__Host-sesame_form')).toMatchObject({ value: token, path: '/', secure: true, httpOnly: true, sameSite: 'Strict' });
    const http = await h.app.inject({ method: 'GET', url: '/ui/login', remoteAddress: '10.0.0.2' });
    expect(http.cookies.map((cookie) => [cookie.name, cookie.secure])).toEqual([['sesame_form', undefined]]);
    const post = (cookie: string) =>
      h.app.inject({
        method: 'POST',
        url: '/ui/login',
        remoteAddress: '10.0.0.2',
        payload: `email=a%40example.com&password=x&form_token=${token}`,
        headers: { ...viaProxy.headers, ...SAME_ORIGIN, origin: 'https://localhost', cookie, 'content-type': 'application/x-www-form-urlencoded' },
      });
    // A plain-named cookie over https may have been tossed by a sibling subdomain: it is not the form's.
    expect((await post(`sesame_form=${token}`)).statusCode).toBe(403);
    expect((await post(`__Host-sesame_form=${token}`)).statusCode).toBe(401);
  });

  it('refuse a form whose token is another browser’s', async () => {
    await setUp();
    const [mine, theirs] = [new Visitor(), new Visitor()];
    await mine.get('/ui/signup');
    await theirs.get('/ui/signup');
    expect((await mine.post('/ui/signup', { email: 'x@example.com', password: PASSWORD }, { token: theirs.token })).statusCode).toBe(403);
  });

  it('follow return_to only to their own pages and trusted origins', async () => {
    await setUp({ http: { trustedOrigins: ['https://app.example.com'] } });
    const visitor = new Visitor();
    await signedUp(visitor, 'back@example.com');
    const cases: Array<[string, string]> = [
      ['https://app.example.com/home', 'https://app.example.com/home'],
      ['/ui/account?from=login', '/ui/account?from=login'],
      ['//evil.example', '/ui/account'],
      ['/\\evil.example', '/ui/account'],
      ['https://evil.example/', '/ui/account'],
      ['javascript:alert(1)', '/ui/account'],
      ['/profile', '/ui/account'],
    ];
    for (const [returnTo, expected] of cases) {
      const page = await visitor.get(`/ui/login?return_to=${encodeURIComponent(returnTo)}`);
      expect(page.body.includes('name="return_to"'), returnTo).toBe(expected !== '/ui/account');
      // Browsers hold the form's redirect to form-action: the page lets its form end at that origin alone.
      const formAction = expected.startsWith('https:') ? "form-action 'self' https://app.example.com;" : "form-action 'self';";
      expect(page.headers['content-security-policy'], returnTo).toBe(PAGE_HEADERS['content-security-policy']!.replace("form-action 'self';", formAction));
      const answer = await visitor.post('/ui/login', { email: 'back@example.com', password: PASSWORD, return_to: returnTo });
      expect(answer.headers.location, returnTo).toBe(expected);
    }
  });

  it('say no more than the API: the same status and text for an unknown email and a wrong password', async () => {
    await setUp();
    const visitor = new Visitor();
    await signedUp(visitor, 'known@example.com');
    await visitor.get('/ui/login');
    const unknown = await visitor.post('/ui/login', { email: 'unknown@example.com', password: PASSWORD });
    const wrong = await visitor.post('/ui/login', { email: 'known@example.com', password: 'wrong' });
    const api = await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: 'known@example.com', password: 'wrong' } });
    expect([unknown.statusCode, wrong.statusCode]).toEqual([api.statusCode, api.statusCode]);
    const strip = (body: string) => body.replace(/value="[^"]*"/g, '');
    expect(strip(unknown.body)).toBe(strip(wrong.body));
    const taken = await visitor.post('/ui/signup', { email: 'known@example.com', password: PASSWORD });
    expect(taken.statusCode).toBe(400);
    expect(taken.body).toContain('email already registered');
  });

  it('count failed log-ins with the API’s own limits: pages and API share them', async () => {
    await setUp({ auth: { limits: { accountClientFailures: 2, accountFreeFailures: 100, clientFailures: 1000 } } });
    const visitor = new Visitor();
    await signedUp(visitor, 'limit@example.com');
    await visitor.get('/ui/login');
    const statuses: number[] = [];
    for (let attempt = 0; attempt < 2; attempt += 1) statuses.push((await visitor.post('/ui/login', { email: 'limit@example.com', password: 'wrong' })).statusCode);
    const limited = await visitor.post('/ui/login', { email: 'limit@example.com', password: PASSWORD });
    const api = await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: 'limit@example.com', password: PASSWORD } });
    expect([...statuses, limited.statusCode, api.statusCode]).toEqual([401, 401, 429, 429]);
    expect(limited.headers['retry-after']).toBe(api.headers['retry-after']);
    expect(limited.body).toContain(`Too many attempts. Try again in ${String(api.headers['retry-after'])} seconds.`);
  });

  it('move the reset token out of the address bar, then reset the password with it', async () => {
    await setUp();
    const visitor = new Visitor();
    await signedUp(visitor, 'reset@example.com');
    // With `response` delivery, the core hands the token to the test as it would to a mailer.
    const { resetToken } = await h.auth.requestPasswordReset('reset@example.com', { address: '127.0.0.1' });
    const arrival = await visitor.get(`/ui/reset-password?token=${resetToken}&email=reset%40example.com`);
    expect(arrival.statusCode).toBe(303);
    expect(arrival.headers.location).toBe('/ui/reset-password');
    expect(arrival.body).toBe('');
    const held = arrival.cookies.find((cookie) => cookie.name === 'sesame_reset')!;
    expect(held).toMatchObject({ path: '/ui/reset-password', httpOnly: true, sameSite: 'Lax' });
    const form = await visitor.get('/ui/reset-password');
    expect(form.body).not.toContain(resetToken!);
    expect(form.body).toContain('value="reset@example.com"');
    const done = await visitor.post('/ui/reset-password', { email: 'reset@example.com', new_password: 'the reset pass phrase' });
    expect(done.headers.location).toBe('/ui/login?notice=password_reset');
    expect(visitor.cookies.has('sesame_reset')).toBe(false);
    const again = await visitor.post('/ui/reset-password', { email: 'reset@example.com', new_password: 'another one' });
    expect(again.statusCode).toBe(403);
    expect(again.body).toContain('This reset link is invalid, used or expired');
    await visitor.get('/ui/login');
    expect((await visitor.post('/ui/login', { email: 'reset@example.com', password: 'the reset pass phrase' })).statusCode).toBe(303);
  });

  it('take from a reset link only what an emailed link could hold, and clean the address bar of the rest', async () => {
    await setUp();
    const visitor = new Visitor();
    const uuid = '0b6d1f0e-4a59-4bd6-9a0c-3f1f5b0f8a11';
    const links: Array<[string, boolean]> = [
      [`token=${uuid}&email=a%40example.com`, true],
      [`token=${'A'.repeat(3000)}&email=a%40example.com`, false],
      [`token=abc%0Adef${'x'.repeat(20)}&email=a%40example.com`, false],
      [`token=${uuid}&email=a%40example.com%0Aevil%40example.com`, false],
      [`token=${uuid}&email=${'a'.repeat(400)}%40example.com`, false],
    ];
    for (const [query, isKept] of links) {
      const arrival = await visitor.get(`/ui/reset-password?${query}`);
      expect(arrival.statusCode, query).toBe(303);
      expect(arrival.headers.location, query).toBe('/ui/reset-password');
      const held = arrival.cookies.find((cookie) => cookie.name === 'sesame_reset');
      // A link not kept clears the one before it, whose email the page would otherwise show.
      expect(held?.maxAge, query).toBe(isKept ? 30 * 60 : 0);
      expect(held?.value === '', query).toBe(!isKept);
    }
  });

  it('put no secret in any URL they send a browser to', async () => {
    await setUp();
    const visitor = new Visitor();
    await signedUp(visitor, 'urls@example.com');
    await loggedIn(visitor, 'urls@example.com');
    const session = visitor.cookies.get('session_id')!;
    const locations = [
      (await visitor.post('/ui/account/password', { password: PASSWORD, new_password: 'second pass phrase' })).headers.location,
      (await visitor.post('/ui/logout', {})).headers.location,
      (await visitor.get('/ui/account')).headers.location,
    ].map(String);
    for (const location of locations) {
      expect(location).not.toContain(session);
      expect(location).not.toContain(visitor.token);
      for (const password of [PASSWORD, 'second pass phrase']) expect(decodeURIComponent(location)).not.toContain(password);
    }
    const page = await visitor.get('/ui/login');
    expect([...page.body.matchAll(/(?:href|action)="([^"]*)"/g)].map((match) => match[1]).filter((url) => /token|session|pass/i.test(url!))).toEqual([
      '/ui/forgot-password',
    ]);
  });

  it("say a refused input in the catalogue's words, on the field it is about, and ask new passwords for the minimum length", async () => {
    await setUp({ ...TWELVE, ...MANY_SESSIONS, auth: { ...TWELVE.auth, ...MANY_SESSIONS.auth } });
    const visitor = new Visitor();
    const signUp = await visitor.get('/ui/signup');
    expect(minLengths(signUp.body)).toEqual({ password: '12' });
    const noAt = await visitor.post('/ui/signup', { email: 'someone', password: PASSWORD });
    expect([noAt.statusCode, fieldsInError(noAt.body)]).toEqual([400, ['email']]);
    expect(noAt.body).toContain('Il manque le @.');
    expect(noAt.body).not.toContain('must contain @');
    const short = await visitor.post('/ui/signup', { email: 'fields@example.com', password: 'short' });
    expect([short.statusCode, fieldsInError(short.body)]).toEqual([400, ['password']]);
    expect(short.body).toContain('Au moins 12 caractères.');
    expect(short.body).not.toContain('must have at least');
    await signedUp(visitor, 'fields@example.com');

    await visitor.get('/ui/login');
    const huge = await visitor.post('/ui/login', { email: 'fields@example.com', password: 'a'.repeat(5000) });
    expect([huge.statusCode, fieldsInError(huge.body)]).toEqual([400, ['password']]);
    expect(huge.body).toContain('Trop long.');
    expect(huge.body).not.toContain('bytes');
    // Which of the two was wrong is not said, so the email, first, is marked.
    const wrong = await visitor.post('/ui/login', { email: 'fields@example.com', password: 'not the password' });
    expect([wrong.statusCode, fieldsInError(wrong.body)]).toEqual([401, ['email']]);
    expect(wrong.body).toContain('Courriel ou mot de passe faux.');

    await loggedIn(visitor, 'fields@example.com');
    const account = await visitor.get('/ui/account');
    expect(minLengths(account.body)).toEqual({ new_password: '12' });
    const wrongCurrent = await visitor.post('/ui/account/password', { password: 'not the password', new_password: 'a long new passphrase' });
    expect([wrongCurrent.statusCode, fieldsInError(wrongCurrent.body)]).toEqual([401, ['password']]);
    const shortNew = await visitor.post('/ui/account/password', { password: PASSWORD, new_password: 'short' });
    expect([shortNew.statusCode, fieldsInError(shortNew.body)]).toEqual([400, ['new_password']]);
    expect(shortNew.body).toContain('Au moins 12 caractères.');

    const reset = await visitor.get(`/ui/reset-password?token=${'x'.repeat(43)}&email=fields%40example.com`);
    expect(reset.statusCode).toBe(303);
    expect(minLengths((await visitor.get('/ui/reset-password')).body)).toEqual({ new_password: '12' });
    const shortReset = await visitor.post('/ui/reset-password', { email: 'fields@example.com', new_password: 'short' });
    expect([shortReset.statusCode, fieldsInError(shortReset.body)]).toEqual([400, ['new_password']]);
    const badEmail = await visitor.post('/ui/reset-password', { email: 'fields', new_password: 'a long new passphrase' });
    expect([badEmail.statusCode, fieldsInError(badEmail.body)]).toEqual([400, ['email']]);
    expect(badEmail.body).toContain('Il manque le @.');
  });

  it("name sessions, moments and their separators in the catalogue's words, and tell each session's end button apart", async () => {
    await setUp({ ...TWELVE, ...MANY_SESSIONS, auth: { ...TWELVE.auth, ...MANY_SESSIONS.auth } });
    const browser = new Visitor();
    await signedUp(browser, 'named@example.com');
    // Two sessions from clients that sent no User-Agent, and this browser's.
    for (let index = 0; index < 2; index += 1) {
      h.clock.advanceSeconds(120);
      await h.auth.logIn('named@example.com', PASSWORD, null, { address: '127.0.0.1' });
    }
    await loggedIn(browser, 'named@example.com');
    const { body } = await browser.get('/ui/account');
    expect(body.match(/<p class="what" id="[\w-]+">Session de navigateur<\/p>/g)).toHaveLength(2);
    expect(body).not.toMatch(/>cookie</);
    expect(body).toMatch(/<time datetime="[^"]+">\d{4}-\d\d-\d\d à \d\d:\d\d \(UTC\)<\/time> ; /);
    expect(body).not.toContain(' UTC<');

    // Named alike (no user agent), the two are told apart by when they began.
    expect(expectSessionButtonsToldApart(body, 2)).toEqual(['Session de navigateur', 'Session de navigateur']);
  });

  it('answer a store outage or malformed form with an HTML page, never JSON or a 500', async () => {
    await setUp();
    const visitor = new Visitor();
    await visitor.get('/ui/login');
    const doubled = await h.app.inject({
      method: 'POST',
      url: '/ui/login',
      payload: `email=a&email=b&form_token=${visitor.token}`,
      headers: { ...SAME_ORIGIN, cookie: `sesame_form=${visitor.token}`, 'content-type': 'application/x-www-form-urlencoded' },
    });
    expect(doubled.statusCode).toBe(400);
    expectPageHeaders(doubled);
  });

  it('answer a URL too malformed to route with an HTML page and their headers, and the API with its JSON', async () => {
    await setUp();
    for (const url of ['/ui/%zz', '/ui/admin/users/%E0%A4%A', '/ui/login?x=1&%']) {
      const answer = await h.app.inject({ method: 'GET', url });
      if (url.includes('?')) {
        // Query parameters are the route's to judge: a stray % there still finds the page.
        expect(answer.statusCode, url).toBe(200);
        continue;
      }
      expect(answer.statusCode, url).toBe(400);
      expectPageHeaders(answer);
      expect(answer.body, url).toContain(MESSAGES['error.bad_request']);
    }
    const api = await h.app.inject({ method: 'GET', url: '/users/%zz' });
    expect(api.statusCode).toBe(400);
    expect(api.json()).toEqual({ message: 'malformed request URL' });
  });
});
