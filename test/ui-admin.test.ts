import type { LightMyRequestResponse } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import type { AdminHttpConfig } from '../src/app.js';
import type { AuditEvent } from '../src/core/audit.js';
import { noCache, type SessionCache } from '../src/core/cache.js';
import { RedisCache } from '../src/store/cache/redis-cache.js';
import { connectRedis, waitForRedis } from '../src/store/cache/redis-connection.js';
import { ALL_ENGINES, createTestDatabase, describeEngines, TEST_REDIS_URL, testKeyPrefix, type Engine, type TestDatabase } from './support/databases.js';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { expectSessionButtonsToldApart } from './support/page-checks.js';
import { TEST_SECRETS, testConfig, testUiConfig } from './support/test-config.js';
import { PAGE_HEADERS } from '../src/ui/page-security.js';

const ADMIN_TOKEN = TEST_SECRETS.SESAME_ADMIN_TOKEN;
const ON_MAIN: AdminHttpConfig = { listener: 'main', hasToken: true };
const OPERATOR = { email: 'ops@example.com', password: 'operator passphrase' };
const IDLE_SECONDS = 900;
const YOURSELF = 'This is your own account: the console does not disable or delete it.';
const LIFETIME_SECONDS = 3600;

/** A browser as far as the console can tell: it keeps cookies and sends each form back with its token. */
class ConsoleBrowser {
  readonly cookies = new Map<string, string>();
  readonly bodies: string[] = [];

  constructor(private readonly h: AppHarness) {}

  async get(url: string): Promise<LightMyRequestResponse> {
    return this.#keep(await this.h.app.inject({ method: 'GET', url, headers: this.#headers() }));
  }

  /** POSTs `fields` with the form token of the page at `from` (as the page's form would). */
  async post(url: string, fields: Record<string, string>, options: { from?: string; headers?: Record<string, string> } = {}): Promise<LightMyRequestResponse> {
    const page = await this.get(options.from ?? '/ui/admin/login');
    const token = /name="form_token" value="([^"]+)"/.exec(page.body)?.[1] ?? '';
    return this.#keep(
      await this.h.app.inject({
        method: 'POST',
        url,
        headers: { ...this.#headers(), 'content-type': 'application/x-www-form-urlencoded', 'sec-fetch-site': 'same-origin', ...options.headers },
        payload: new URLSearchParams({ form_token: token, ...fields }).toString(),
      }),
    );
  }

  async logIn(email = OPERATOR.email, password = OPERATOR.password): Promise<LightMyRequestResponse> {
    return this.post('/ui/admin/login', { email, password });
  }

  #headers(): Record<string, string> {
    return this.cookies.size === 0 ? {} : { cookie: [...this.cookies].map(([name, value]) => `${name}=${value}`).join('; ') };
  }

  #keep(response: LightMyRequestResponse): LightMyRequestResponse {
    this.bodies.push(response.body);
    for (const cookie of response.cookies) {
      if (cookie.maxAge === 0) this.cookies.delete(cookie.name);
      else this.cookies.set(cookie.name, cookie.value);
    }
    return response;
  }
}

const emailsOf = (body: string) => [...body.matchAll(/<p class="what"><a href="[^"]+"><bdi>([^<]+)<\/bdi><\/a>/g)].map((match) => match[1]);
const nextOf = (body: string) => /<a href="([^"]+)" rel="next">/.exec(body)?.[1]?.replaceAll('&amp;', '&') ?? null;
const prevOf = (body: string) => /<a href="([^"]+)" rel="prev">/.exec(body)?.[1]?.replaceAll('&amp;', '&') ?? null;

/** An engine, or SQLite with the Redis cache of live sessions in front of it. */
type Variant = Engine | 'redis';

describeEngines(ALL_ENGINES, 'the admin console on %s', (engine) => consoleSuite(engine));
describe.skipIf(TEST_REDIS_URL === null)('the admin console with the Redis cache of live sessions', () => consoleSuite('redis'));

function consoleSuite(variant: Variant): void {
  let h: AppHarness;
  let database: TestDatabase | null = null;
  let browsers: ConsoleBrowser[] = [];
  let operatorId: string;

  afterEach(async () => {
    // Nothing a page sends may carry the admin token, a console token, a hash or a password.
    for (const browser of browsers) {
      const secrets = [ADMIN_TOKEN, browser.cookies.get('sesame_console') ?? ADMIN_TOKEN, OPERATOR.password];
      for (const body of browser.bodies) {
        for (const secret of secrets) expect(body).not.toContain(secret);
        expect(body).not.toMatch(/\$argon2|\$2[aby]\$|[0-9a-f]{64}/);
      }
    }
    browsers = [];
    await h.close();
    await database?.drop();
    database = null;
  });

  async function setUp(limits: { accountClientFailures?: number } = {}): Promise<ConsoleBrowser> {
    let cache: SessionCache = noCache;
    if (variant === 'redis') {
      const redis = connectRedis(TEST_REDIS_URL!, testKeyPrefix());
      cache = new RedisCache(redis);
      await waitForRedis(redis, 2_000);
    } else if (variant !== 'sqlite') {
      database = await createTestDatabase(variant);
    }
    const config = testConfig({
      ...(database ? { database: database.config } : {}),
      http: { admin: ON_MAIN, ui: testUiConfig() },
      auth: { adminToken: ADMIN_TOKEN, limits: { accountFailures: 3, accountFreeFailures: 3, ...limits }, consoleSession: { idleTimeoutSeconds: IDLE_SECONDS, absoluteLifetimeSeconds: LIFETIME_SECONDS } },
    });
    h = await createAppHarness(config, cache);
    const operator = await h.auth.createUser(OPERATOR.email, OPERATOR.password, { door: 'cli', address: 'cli' });
    await h.auth.updateUser({ id: operator.id }, { claims: { admin: true } }, { door: 'cli', address: 'cli' });
    operatorId = operator.id;
    return newBrowser();
  }

  function newBrowser(): ConsoleBrowser {
    const browser = new ConsoleBrowser(h);
    browsers.push(browser);
    return browser;
  }

  const consoleActions = () => h.audited.filter((event): event is Extract<AuditEvent, { event: 'admin_action' }> & { client: string } => event.event === 'admin_action' && event.caller === 'console');

  it('signs an operator in with their own password into a console session of its own cookie', async () => {
    const browser = await setUp();
    const login = await browser.logIn();
    expect(login.statusCode).toBe(303);
    expect(login.headers.location).toBe('/ui/admin/users');
    const cookie = login.cookies.find((one) => one.name === 'sesame_console')!;
    expect(cookie).toMatchObject({ path: '/ui/admin', httpOnly: true, sameSite: 'Strict' });
    expect(cookie.maxAge).toBeUndefined();
    expect(login.cookies.some((one) => one.name === 'session_id')).toBe(false);
    // The console token is no user session: the API refuses it.
    expect((await h.app.inject({ method: 'GET', url: '/profile', cookies: { session_id: cookie.value } })).statusCode).toBe(403);
    expect((await h.app.inject({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${cookie.value}` } })).statusCode).toBe(401);
    const users = await browser.get('/ui/admin/users');
    expect(users.statusCode).toBe(200);
    expect(users.headers['cache-control']).toBe('no-store');
    expect(users.headers['content-security-policy']).toContain("frame-ancestors 'none'");
    expect(users.body).toContain(OPERATOR.email);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'login_succeeded', userId: operatorId, via: 'console' }));
  });

  it('sends a browser without a console session to the sign-in page', async () => {
    const browser = await setUp();
    const users = await browser.get('/ui/admin/users');
    expect(users.statusCode).toBe(303);
    expect(users.headers.location).toBe('/ui/admin/login');
    const action = await browser.post(`/ui/admin/users/${operatorId}/unlock`, {});
    expect(action.statusCode).toBe(303);
    expect(consoleActions()).toEqual([]);
  });

  it('refuses the right password of a user without the admin claim, telling only that', async () => {
    const browser = await setUp();
    await h.auth.createUser('plain@example.com', 'plain passphrase', { door: 'cli', address: 'cli' });
    const refused = await browser.logIn('plain@example.com', 'plain passphrase');
    expect(refused.statusCode).toBe(403);
    expect(refused.body).toContain('This account may not use the admin console.');
    expect(refused.cookies.some((one) => one.name === 'sesame_console')).toBe(false);
    const wrong = await browser.logIn(OPERATOR.email, 'wrong');
    expect(wrong.statusCode).toBe(401);
    expect(wrong.body).toContain('Wrong email or password.');
    expect(wrong.body).toMatch(/<input id="field-email"[^>]*aria-invalid="true"/);
    // A refusal about the password marks the password.
    const huge = await browser.logIn(OPERATOR.email, 'a'.repeat(5000));
    expect(huge.statusCode).toBe(400);
    expect(huge.body).toContain('The password is too long: it takes more than 4096 bytes.');
    expect(huge.body).toMatch(/<input id="field-password"[^>]*aria-invalid="true" autofocus>/);
    expect(huge.body).not.toMatch(/<input id="field-email"[^>]*aria-invalid/);
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'login_failed', via: 'console', reason: 'not_operator' }));
  });

  it('counts only the JSON value true as the admin claim, and never lets a user session in', async () => {
    const browser = await setUp();
    await h.auth.updateUser({ id: operatorId }, { claims: { admin: 'true' } }, { door: 'cli', address: 'cli' });
    expect((await browser.logIn()).statusCode).toBe(403);
    await h.auth.updateUser({ id: operatorId }, { claims: { admin: true } }, { door: 'cli', address: 'cli' });
    const userLogin = await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: OPERATOR.email, password: OPERATOR.password } });
    const userCookie = userLogin.cookies.find((one) => one.name === 'session_id')!.value;
    const withUserSession = await h.app.inject({ method: 'GET', url: '/ui/admin/users', headers: { cookie: `sesame_console=${userCookie}` } });
    expect(withUserSession.statusCode).toBe(303);
    expect(withUserSession.headers.location).toBe('/ui/admin/login?done=signed_out');
  });

  it('shows a notice only for a name on its list, never for one every object inherits', async () => {
    const browser = await setUp();
    const names = ['constructor', '__proto__', 'toString', 'valueOf'];
    expect((await browser.get('/ui/admin/login?done=logged_out')).body).toContain('role="status"');
    for (const name of names) {
      const page = await browser.get(`/ui/admin/login?done=${name}`);
      expect(page.statusCode, name).toBe(200);
      expect(page.body, name).not.toContain('role="status"');
    }
    await browser.logIn();
    for (const url of ['/ui/admin/users', `/ui/admin/users/${operatorId}`]) {
      for (const name of names) {
        const page = await browser.get(`${url}?done=${name}`);
        expect(page.statusCode, `${url} ${name}`).toBe(200);
        expect(page.body, `${url} ${name}`).not.toContain('role="status"');
      }
    }
  });

  it('refuses a disabled operator as a wrong password', async () => {
    const browser = await setUp();
    await h.auth.updateUser({ id: operatorId }, { disabled: true }, { door: 'cli', address: 'cli' });
    const refused = await browser.logIn();
    expect(refused.statusCode).toBe(401);
    expect(refused.body).toContain('Wrong email or password.');
  });

  it('ends console access at the next request once the claim is removed, or the operator disabled', async () => {
    const browser = await setUp();
    await browser.logIn();
    expect((await browser.get('/ui/admin/users')).statusCode).toBe(200);
    await h.auth.updateUser({ id: operatorId }, { claims: { admin: false } }, { door: 'cli', address: 'cli' });
    const after = await browser.get('/ui/admin/users');
    expect(after.statusCode).toBe(303);
    expect(after.headers.location).toBe('/ui/admin/login?done=signed_out');
    expect(browser.cookies.has('sesame_console')).toBe(false);

    await h.auth.updateUser({ id: operatorId }, { claims: { admin: true } }, { door: 'cli', address: 'cli' });
    await browser.logIn();
    expect((await browser.get('/ui/admin/users')).statusCode).toBe(200);
    await h.auth.updateUser({ id: operatorId }, { disabled: true }, { door: 'cli', address: 'cli' });
    expect((await browser.get('/ui/admin/users')).statusCode).toBe(303);
  });

  it('ends a console session unused for the idle timeout, and any at its absolute lifetime', async () => {
    const browser = await setUp();
    await browser.logIn();
    h.clock.advanceSeconds(IDLE_SECONDS - 60);
    expect((await browser.get('/ui/admin/users')).statusCode).toBe(200);
    expect((await h.auth.listSessions({ id: operatorId })).map((session) => session.kind)).toEqual(['console']);
    h.clock.advanceSeconds(IDLE_SECONDS + 1);
    // Listings judge a console session by the console's lifetimes, not users' longer ones.
    expect(await h.auth.listSessions({ id: operatorId })).toEqual([]);
    expect((await browser.get('/ui/admin/users')).statusCode).toBe(303);

    await browser.logIn();
    for (let elapsed = 0; elapsed < LIFETIME_SECONDS - 600; elapsed += 600) {
      h.clock.advanceSeconds(600);
      expect((await browser.get('/ui/admin/users')).statusCode).toBe(200);
    }
    h.clock.advanceSeconds(601);
    expect((await browser.get('/ui/admin/users')).statusCode).toBe(303);
  });

  it('logs out of the console, ending that session and no other', async () => {
    const browser = await setUp();
    const userLogin = await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: OPERATOR.email, password: OPERATOR.password } });
    const userCookie = userLogin.cookies.find((one) => one.name === 'session_id')!.value;
    await browser.logIn();
    const out = await browser.post('/ui/admin/logout', {}, { from: '/ui/admin/users' });
    expect(out.statusCode).toBe(303);
    expect(out.headers.location).toBe('/ui/admin/login?done=logged_out');
    expect(browser.cookies.has('sesame_console')).toBe(false);
    // It would drop the operator's user session cookie (every cookie of the site) with the console's.
    expect(out.headers['clear-site-data']).toBeUndefined();
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'logged_out', userId: operatorId }));
    expect((await h.app.inject({ method: 'GET', url: '/profile', cookies: { session_id: userCookie } })).statusCode).toBe(200);
    expect((await h.auth.listSessions({ id: operatorId })).map((session) => session.kind)).toEqual(['cookie']);
  });

  it('refuses a console form without its token, or sent from another site', async () => {
    const browser = await setUp();
    const target = await h.auth.createUser('target@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    await browser.logIn();
    const path = `/ui/admin/users/${target.id}/disable`;
    const noToken = await h.app.inject({
      method: 'POST',
      url: path,
      headers: { cookie: `sesame_console=${browser.cookies.get('sesame_console')!}`, 'content-type': 'application/x-www-form-urlencoded' },
      payload: '',
    });
    expect(noToken.statusCode).toBe(403);
    const crossSite = await browser.post(path, {}, { from: '/ui/admin/users', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.body).toContain('This form expired or came from another site.');
    expect((await h.auth.getUser({ id: target.id })).disabled).toBe(false);
  });

  it('disables and enables a user, unlocks it and ends its sessions, each an admin_action of the console naming the operator', async () => {
    const browser = await setUp();
    const target = await h.auth.createUser('target@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    const loginAs = () => h.app.inject({ method: 'POST', url: '/token', payload: { grant_type: 'password', username: 'target@example.com', password: 'target passphrase' } });
    await browser.logIn();
    const page = `/ui/admin/users/${target.id}`;
    const act = async (path: string) => {
      const response = await browser.post(`${page}${path}`, {}, { from: page });
      expect(response.statusCode).toBe(303);
      return response.headers.location;
    };

    expect(await act('/disable')).toBe(`${page}?done=disabled`);
    expect((await h.auth.getUser({ id: target.id })).disabled).toBe(true);
    expect((await browser.get(`${page}?done=disabled`)).body).toContain('The user is disabled');
    expect(await act('/enable')).toBe(`${page}?done=enabled`);
    expect((await h.auth.getUser({ id: target.id })).disabled).toBe(false);
    // Sent twice (a second tab, a resent form): audited as asked, saying it changed nothing.
    expect(await act('/enable')).toBe(`${page}?done=enabled`);
    expect(consoleActions().at(-1)).toMatchObject({ action: 'user.enable', userId: target.id, changed: false });
    await act('/disable');
    await act('/disable');
    expect(consoleActions().at(-1)).toMatchObject({ action: 'user.disable', userId: target.id, changed: false, endedSessions: 0 });
    await act('/enable');

    for (let attempt = 0; attempt < 3; attempt += 1) {
      await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: 'target@example.com', password: 'wrong' }, remoteAddress: `10.0.0.${attempt + 1}` });
    }
    expect((await h.auth.getUser({ id: target.id })).locked).toBe(true);
    expect((await browser.get(page)).body).toContain('Unlock');
    await act('/unlock');
    expect((await h.auth.getUser({ id: target.id })).locked).toBe(false);

    expect((await loginAs()).statusCode).toBe(200);
    expect((await loginAs()).statusCode).toBe(200);
    const [first] = await h.auth.listSessions({ id: target.id });
    const withSessions = (await browser.get(page)).body;
    expect(withSessions).toContain(`/sessions/${first!.id}/end`);
    // The kind in the catalogue's words, the separators and the moments too.
    expect(withSessions.match(/<p class="what" id="session-\d-what">App session \(token\) · 127\.0\.0\.1<\/p>/g)).toHaveLength(2);
    expect(withSessions).toMatch(/<p class="when" id="session-\d-when">Started \d{4}-\d\d-\d\d \d\d:\d\d UTC, last used \d{4}-\d\d-\d\d \d\d:\d\d UTC<\/p>/);
    expect(await act(`/sessions/${first!.id}/end`)).toBe(`${page}?done=session_ended`);
    expect(await h.auth.listSessions({ id: target.id })).toHaveLength(1);
    expect(await act('/sessions/end')).toBe(`${page}?done=sessions_ended`);
    expect(await h.auth.listSessions({ id: target.id })).toHaveLength(0);

    expect(consoleActions().map(({ action, userId, operatorId: by }) => ({ action, userId, by }))).toEqual(
      ['user.disable', 'user.enable', 'user.enable', 'user.disable', 'user.disable', 'user.enable', 'user.unlock', 'session.end', 'sessions.end_all'].map((action) => ({
        action,
        userId: target.id,
        by: operatorId,
      })),
    );
    expect(consoleActions().filter((event) => 'changed' in event)).toHaveLength(2);
  });

  it('offers Unlock to a user one address is refused for though the account is not locked, and lets that address in again', async () => {
    const browser = await setUp({ accountClientFailures: 2 });
    const target = await h.auth.createUser('target@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    const logIn = (password: string) => h.app.inject({ method: 'POST', url: '/sessions', payload: { email: 'target@example.com', password }, remoteAddress: '10.0.2.1' });
    await logIn('wrong');
    await logIn('wrong');
    expect((await logIn('target passphrase')).statusCode).toBe(429);
    await browser.logIn();
    const page = `/ui/admin/users/${target.id}`;
    const shown = await browser.get(page);
    expect((await h.auth.getUser({ id: target.id })).locked).toBe(false);
    expect(shown.body).toContain('<dd>active</dd>');
    expect(shown.body).toContain(`action="${page}/unlock"`);
    expect((await browser.post(`${page}/unlock`, {}, { from: page })).headers.location).toBe(`${page}?done=unlocked`);
    expect((await logIn('target passphrase')).statusCode).toBe(200);
  });

  it('draws every email with its invisible and direction characters spelt out, isolated, and each user with its id', async () => {
    const browser = await setUp();
    // Each reads as ops@example.com where characters are drawn as they come; the API takes them all.
    const unseen = { '200B': '\u200B', '202E': '\u202E', '3164': '\u3164', FE0F: '\uFE0F', E0100: '\u{E0100}' };
    const zeroWidth = `ops@example.com${unseen['200B']}`;
    const reversed = `${unseen['202E']}moc.elpmaxe@spo`;
    const spoofs = [zeroWidth, reversed, `ops@example.com${unseen['3164']}`, `ops@example.com${unseen.FE0F}`, `ops@example.com${unseen.E0100}`];
    const ids = new Map<string, string>();
    for (const email of spoofs) {
      const registered = await h.app.inject({ method: 'POST', url: '/users', payload: { email, password: 'some passphrase' } });
      expect(registered.statusCode).toBe(200);
      ids.set(email, (await h.auth.getUser({ email })).id);
    }
    const idOf = (email: string) => ids.get(email) ?? '';
    await browser.logIn();
    const list = await browser.get('/ui/admin/users');
    const marked = (code: string) => `<span class="unseen">&lt;U+${code}&gt;</span>`;
    expect(emailsOf(list.body)).toEqual([OPERATOR.email]);
    for (const [code, character] of Object.entries(unseen)) {
      expect(list.body).toContain(marked(code));
      expect(list.body).not.toContain(character);
    }
    expect(list.body).toContain(`<bdi>${marked('202E')}moc.elpmaxe@spo</bdi>`);
    expect(list.body).toContain(`<bdi>ops@example.com${marked('200B')}</bdi>`);
    for (const id of [...ids.values(), operatorId]) expect(list.body).toContain(`Id <code>${id.slice(0, 8)}</code>…`);

    const page = await browser.get(`/ui/admin/users/${idOf(reversed)}`);
    expect(page.body).toContain(`<h1>User <bdi>${marked('202E')}moc.elpmaxe@spo</bdi></h1>`);
    expect(page.body).toContain('<title>User \u2068&lt;U+202E&gt;moc.elpmaxe@spo\u2069 · ');
    expect(page.body).toContain(`<dd>${idOf(reversed)}</dd>`);
    const confirm = await browser.get(`/ui/admin/users/${idOf(zeroWidth)}/delete`);
    expect(confirm.body).toContain(`<h1>Delete <bdi>ops@example.com${marked('200B')}</bdi>?</h1>`);
    expect(confirm.body).not.toContain(unseen['200B']);

    // An operator whose own email is such is named in the header the same way; claims are drawn alike.
    await h.auth.updateUser({ id: idOf(zeroWidth) }, { claims: { admin: true, note: 'x\u200Dy' } }, { door: 'cli', address: 'cli' });
    const other = newBrowser();
    await other.logIn(zeroWidth, 'some passphrase');
    const own = await other.get(`/ui/admin/users/${idOf(zeroWidth)}`);
    expect(own.body).toContain(`Operator: <bdi>ops@example.com${marked('200B')}</bdi>`);
    expect(own.body).toContain(`<dd><bdi>{&quot;admin&quot;:true,&quot;note&quot;:&quot;x${marked('200D')}y&quot;}</bdi></dd>`);
  });

  it("names each of a user's End this session buttons after its session and describes it by its times", async () => {
    const browser = await setUp();
    const target = await h.auth.createUser('sessions@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    // A token session, then a cookie session (compat keeps one cookie session a user).
    await h.app.inject({ method: 'POST', url: '/token', payload: { grant_type: 'password', username: 'sessions@example.com', password: 'target passphrase' } });
    h.clock.advanceSeconds(120);
    await h.auth.logIn('sessions@example.com', 'target passphrase', null, { address: '127.0.0.1' });
    await browser.logIn();
    const { body } = await browser.get(`/ui/admin/users/${target.id}`);
    expect(expectSessionButtonsToldApart(body, 2)).toHaveLength(2);
  });

  it('deletes a user only through the confirmation page, and never the operator themselves', async () => {
    const browser = await setUp();
    const target = await h.auth.createUser('target@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    await browser.logIn();
    const page = `/ui/admin/users/${target.id}`;
    const confirm = await browser.get(`${page}/delete`);
    expect(confirm.statusCode).toBe(200);
    expect(confirm.body).toContain('Delete <bdi>target@example.com</bdi>?');
    const unconfirmed = await browser.post(`${page}/delete`, { confirm: 'something else' }, { from: `${page}/delete` });
    expect(unconfirmed.statusCode).toBe(400);
    expect(await h.auth.getUser({ id: target.id })).toBeTruthy();
    const deleted = await browser.post(`${page}/delete`, { confirm: target.id }, { from: `${page}/delete` });
    expect(deleted.statusCode).toBe(303);
    expect(deleted.headers.location).toBe('/ui/admin/users?done=deleted');
    await expect(h.auth.getUser({ id: target.id })).rejects.toMatchObject({ code: 'user_not_found' });
    expect(consoleActions()).toContainEqual(expect.objectContaining({ action: 'user.delete', userId: target.id, operatorId }));
    expect((await browser.get(page)).statusCode).toBe(404);

    const own = `/ui/admin/users/${operatorId}`;
    expect((await browser.get(own)).body).not.toContain('/delete');
    // Asked by its address, the confirmation of one's own deletion is the refusal the POST would give.
    const ownConfirm = await browser.get(`${own}/delete`);
    expect(ownConfirm.statusCode).toBe(400);
    expect(ownConfirm.body).toContain(YOURSELF);
    expect(ownConfirm.body).not.toContain('name="confirm"');
    expect(ownConfirm.body).toContain('href="/ui/admin/users"');
    const self = await browser.post(`${own}/delete`, { confirm: operatorId }, { from: own });
    expect(self.statusCode).toBe(400);
    const disableSelf = await browser.post(`${own}/disable`, {}, { from: own });
    expect(disableSelf.statusCode).toBe(400);
    expect((await h.auth.getUser({ id: operatorId })).disabled).toBe(false);
  });

  it('searches users by the start of their email and pages through them with the keyset cursor, both ways', async () => {
    const browser = await setUp();
    for (let index = 0; index < 45; index += 1) {
      h.clock.advanceSeconds(1);
      await h.auth.createUser(`user${String(index).padStart(2, '0')}@example.com`, 'some passphrase', { door: 'cli', address: 'cli' });
    }
    await browser.logIn();

    const first = await browser.get('/ui/admin/users?q=USER');
    expect(emailsOf(first.body)).toEqual(Array.from({ length: 20 }, (_, index) => `user${44 - index}@example.com`));
    expect(prevOf(first.body)).toBeNull();
    const second = await browser.get(nextOf(first.body)!);
    expect(emailsOf(second.body)[0]).toBe('user24@example.com');
    const third = await browser.get(nextOf(second.body)!);
    expect(emailsOf(third.body)).toEqual(Array.from({ length: 5 }, (_, index) => `user0${4 - index}@example.com`));
    expect(nextOf(third.body)).toBeNull();
    const backToSecond = await browser.get(prevOf(third.body)!);
    expect(emailsOf(backToSecond.body)).toEqual(emailsOf(second.body));
    const backToFirst = await browser.get(prevOf(backToSecond.body)!);
    expect(emailsOf(backToFirst.body)).toEqual(emailsOf(first.body));

    const search = await browser.get('/ui/admin/users?q=user1');
    expect(emailsOf(search.body)).toEqual(Array.from({ length: 10 }, (_, index) => `user${19 - index}@example.com`));
    expect((await browser.get('/ui/admin/users?q=nobody')).body).toContain('No user matches.');
    expect((await browser.get('/ui/admin/users?cursor=bm90IGEgY3Vyc29y')).statusCode).toBe(400);
  });

  /** Makes the account of `email` locked: as many wrong passwords as the limit, each from another address. */
  async function lock(email: string): Promise<void> {
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await h.app.inject({ method: 'POST', url: '/sessions', payload: { email, password: 'wrong' }, remoteAddress: `10.0.1.${attempt + 1}` });
    }
  }

  it('filters the users by state, together with the search, and keeps both through the pages both ways', async () => {
    const browser = await setUp();
    for (let index = 0; index < 45; index += 1) {
      h.clock.advanceSeconds(1);
      const user = await h.auth.createUser(`user${String(index).padStart(2, '0')}@example.com`, 'some passphrase', { door: 'cli', address: 'cli' });
      if (index % 2 === 0) await h.auth.updateUser({ id: user.id }, { disabled: true }, { door: 'cli', address: 'cli' });
    }
    await lock('user01@example.com');
    await lock('user03@example.com');
    await browser.logIn();
    const numbered = (indexes: readonly number[]) => indexes.map((index) => `user${String(index).padStart(2, '0')}@example.com`);
    const descending = (from: number, to: number, step: number) => Array.from({ length: Math.floor((from - to) / step) + 1 }, (_, index) => from - index * step);

    const form = await browser.get('/ui/admin/users?q=user&state=disabled');
    // A plain GET form: the select is labelled, keeps its choice, and is sent with the search.
    expect(form.body).toMatch(/<form method="get" action="\/ui\/admin\/users" role="search">.*<label for="field-state">State<\/label><select id="field-state" name="state">.*<\/select><button type="submit">Search<\/button><\/form>/);
    expect(form.body).toContain('<option value="disabled" selected>Disabled</option>');
    expect(form.body).toContain('<a href="/ui/admin/users">Show all users</a>');
    expect(emailsOf(form.body)).toEqual(numbered(descending(44, 6, 2)));
    const next = nextOf(form.body)!;
    expect(new URLSearchParams(next.split('?')[1]).get('state')).toBe('disabled');
    const second = await browser.get(next);
    expect(emailsOf(second.body)).toEqual(numbered([4, 2, 0]));
    expect(nextOf(second.body)).toBeNull();
    expect(second.body).toContain('<option value="disabled" selected>');
    const back = await browser.get(prevOf(second.body)!);
    expect(emailsOf(back.body)).toEqual(emailsOf(form.body));
    expect(back.body).toContain('<option value="disabled" selected>');

    // Active: neither disabled nor locked.
    const active = await browser.get('/ui/admin/users?q=user&state=active');
    expect(emailsOf(active.body)).toEqual(numbered(descending(43, 5, 2)));
    expect(emailsOf((await browser.get('/ui/admin/users?state=locked')).body)).toEqual(numbered([3, 1]));
    expect(emailsOf((await browser.get('/ui/admin/users?q=user0&state=locked')).body)).toEqual(numbered([3, 1]));
    expect(emailsOf((await browser.get('/ui/admin/users?q=user1&state=locked')).body)).toEqual([]);
    expect((await browser.get('/ui/admin/users?q=user1&state=locked')).body).toContain('No user matches.');
    const all = await browser.get('/ui/admin/users?q=user1&state=all');
    expect(emailsOf(all.body)).toEqual(numbered(descending(19, 10, 1)));
    expect(all.body).toContain('<option value="all" selected>All</option>');
    expect((await browser.get('/ui/admin/users?state=retired')).statusCode).toBe(400);
  });

  it('says an empty page of locked users is not the end of them, and goes on to the next', async () => {
    const browser = await setUp();
    await h.auth.createUser('early@example.com', 'some passphrase', { door: 'cli', address: 'cli' });
    await lock('early@example.com');
    // More newer users than the core reads for one page of locked ones (the page size times ten).
    for (let index = 0; index < 200; index += 1) {
      h.clock.advanceSeconds(1);
      await h.auth.createUser(`later${index}@example.com`, 'some passphrase', { door: 'cli', address: 'cli' });
    }
    await browser.logIn();
    const first = await browser.get('/ui/admin/users?state=locked');
    expect(emailsOf(first.body)).toEqual([]);
    expect(first.body).toContain('No user on this page matches');
    expect(first.body).not.toContain('No user matches.');
    const next = nextOf(first.body)!;
    expect(new URLSearchParams(next.split('?')[1]).get('state')).toBe('locked');
    const second = await browser.get(next);
    expect(emailsOf(second.body)).toEqual(['early@example.com']);
    expect(nextOf(second.body)).toBeNull();
    expect(prevOf(second.body)).toBe('/ui/admin/users?state=locked');
  });

  /** Whether `body` is drawn in the console's layout, not the user pages', and for whom. */
  function expectConsoleLayout(body: string, signedIn: boolean): void {
    expect(body).toContain('<nav aria-label="Admin console">');
    expect(body).toContain('<a class="product" href="/ui/admin/users">');
    expect(body).not.toContain('href="/ui/login"');
    expect(body).not.toContain('href="/ui/signup"');
    if (signedIn) {
      expect(body).toContain(`Operator: <bdi>${OPERATOR.email}</bdi>`);
      expect(body).toContain('<p><a href="/ui/admin/users">Back to the users</a></p>');
    } else {
      expect(body).not.toContain('Operator:');
      expect(body).toContain('<p><a href="/ui/admin/login">Sign in to the console</a></p>');
    }
  }

  it("draws its error pages in the console's layout, with the way back to the users or to the sign-in", async () => {
    const browser = await setUp();
    const target = await h.auth.createUser('target@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    const nowhere = await browser.get('/ui/admin/nowhere');
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.body).toContain('There is no page here.');
    expectConsoleLayout(nowhere.body, false);
    const incomplete = await browser.post('/ui/admin/login', { email: OPERATOR.email });
    expect(incomplete.statusCode).toBe(400);
    expectConsoleLayout(incomplete.body, false);
    // Too malformed to route: answered before any route, so drawn as for a browser not signed in.
    const malformed = await browser.get('/ui/admin/users/%E0%A4%A');
    expect(malformed.statusCode).toBe(400);
    expect(malformed.headers['content-security-policy']).toBe(PAGE_HEADERS['content-security-policy']);
    expectConsoleLayout(malformed.body, false);

    const wrongMethod = await h.app.inject({ method: 'DELETE', url: '/ui/admin/users' });
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers.allow).toBe('GET, HEAD');
    expectConsoleLayout(wrongMethod.body, false);

    await browser.logIn();
    const signedIn = await browser.get('/ui/admin/nowhere');
    expect(signedIn.statusCode).toBe(404);
    expectConsoleLayout(signedIn.body, true);
    // A link followed to what only a form may ask: the console's 405, still signed in.
    const followed = await browser.get(`/ui/admin/users/${target.id}/disable`);
    expect(followed.statusCode).toBe(405);
    expect(followed.headers.allow).toBe('POST');
    expect(followed.body).toContain('This page cannot be used that way.');
    expectConsoleLayout(followed.body, true);
    expect((await h.auth.getUser({ id: target.id })).disabled).toBe(false);
    const noUser = await browser.get('/ui/admin/users/no-such-id');
    expect(noUser.statusCode).toBe(404);
    expect(noUser.body).toContain('There is no such user.');
    expectConsoleLayout(noUser.body, true);
    // Refused before the console session is checked: by the schema, by the form guard.
    const badQuery = await browser.get('/ui/admin/users?cursor=not%20a%20cursor');
    expect(badQuery.statusCode).toBe(400);
    expect(badQuery.body).toContain('The form could not be read.');
    expectConsoleLayout(badQuery.body, true);
    const crossSite = await browser.post(`/ui/admin/users/${target.id}/disable`, {}, { from: '/ui/admin/users', headers: { 'sec-fetch-site': 'cross-site' } });
    expect(crossSite.statusCode).toBe(403);
    expect(crossSite.body).toContain('This form expired or came from another site.');
    expectConsoleLayout(crossSite.body, true);
    const own = `/ui/admin/users/${operatorId}`;
    const disableSelf = await browser.post(`${own}/disable`, {}, { from: own });
    expect(disableSelf.statusCode).toBe(400);
    expectConsoleLayout(disableSelf.body, true);
    // The core's refusals in the catalogue's words, never its English.
    expect(disableSelf.body).toContain(YOURSELF);
    expect(disableSelf.body).not.toContain('an operator cannot');
    const forgedCursor = await browser.get('/ui/admin/users?cursor=bm90LWEtY3Vyc29y');
    expect(forgedCursor.statusCode).toBe(400);
    expect(forgedCursor.body).toContain('This link to a page of the list is not valid.');
    expect(forgedCursor.body).not.toContain('cursor is not one');
    expectConsoleLayout(forgedCursor.body, true);

    // The user pages keep their own.
    const userPage = await h.app.inject('/ui/nowhere');
    expect(userPage.statusCode).toBe(404);
    expect(userPage.body).toContain('href="/ui/signup"');
    expect(userPage.body).not.toContain('Admin console');
  });

  it('ends the console session with all of the operator\'s own, and asks them to sign in again with a notice', async () => {
    const browser = await setUp();
    const userLogin = await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: OPERATOR.email, password: OPERATOR.password } });
    const userCookie = userLogin.cookies.find((one) => one.name === 'session_id')!.value;
    await browser.logIn();
    const own = `/ui/admin/users/${operatorId}`;
    const page = await browser.get(own);
    expect(page.body).toContain('this console session');
    expect(page.body).toContain('Ending all your sessions ends this console session too');
    const target = await h.auth.createUser('target@example.com', 'target passphrase', { door: 'cli', address: 'cli' });
    await h.app.inject({ method: 'POST', url: '/sessions', payload: { email: 'target@example.com', password: 'target passphrase' } });
    const other = await browser.get(`/ui/admin/users/${target.id}`);
    expect(other.body).not.toContain('this console session');
    expect(other.body).not.toContain('Ending all your sessions');

    const ended = await browser.post(`${own}/sessions/end`, {}, { from: own });
    expect(ended.statusCode).toBe(303);
    expect(ended.headers.location).toBe('/ui/admin/login?done=own_sessions_ended');
    expect(browser.cookies.has('sesame_console')).toBe(false);
    expect(await h.auth.listSessions({ id: operatorId })).toEqual([]);
    expect((await h.app.inject({ method: 'GET', url: '/profile', cookies: { session_id: userCookie } })).statusCode).toBe(403);
    const notice = await browser.get(ended.headers.location!);
    expect(notice.statusCode).toBe(200);
    expect(notice.body).toContain('<div class="notice" role="status"><p>Every session of yours has ended, this console session too. Sign in again to go on.</p></div>');
    expect(notice.body).toContain('Sign in to the console');
    const next = await browser.get(own);
    expect(next.statusCode).toBe(303);
    expect(next.headers.location).toBe('/ui/admin/login');
    expect(consoleActions()).toContainEqual(expect.objectContaining({ action: 'sessions.end_all', userId: operatorId, operatorId, endedSessions: 2 }));
    expect((await browser.logIn()).statusCode).toBe(303);
  });

  it("ends the operator's current console session from the list as a sign-out with a notice, and another of theirs as any session", async () => {
    const browser = await setUp();
    const elsewhere = newBrowser();
    await elsewhere.logIn();
    h.clock.advanceSeconds(1);
    await browser.logIn();
    const own = `/ui/admin/users/${operatorId}`;
    const consoleSessions = async () => (await h.auth.listSessions({ id: operatorId })).filter((session) => session.kind === 'console');
    const [other, current] = (await consoleSessions()).sort((one, two) => one.createdAt.getTime() - two.createdAt.getTime());
    expect((await browser.get(own)).body).toMatch(new RegExp(`this console session</span></p>.*?/sessions/${current!.id}/end`, 's'));

    const endOther = await browser.post(`${own}/sessions/${other!.id}/end`, {}, { from: own });
    expect(endOther.headers.location).toBe(`${own}?done=session_ended`);
    expect(browser.cookies.has('sesame_console')).toBe(true);
    expect((await browser.get(own)).statusCode).toBe(200);
    expect((await elsewhere.get(own)).headers.location).toBe('/ui/admin/login?done=signed_out');

    const endCurrent = await browser.post(`${own}/sessions/${current!.id}/end`, {}, { from: own });
    expect(endCurrent.statusCode).toBe(303);
    expect(endCurrent.headers.location).toBe('/ui/admin/login?done=console_session_ended');
    expect(browser.cookies.has('sesame_console')).toBe(false);
    expect(await consoleSessions()).toEqual([]);
    const notice = await browser.get(endCurrent.headers.location!);
    expect(notice.statusCode).toBe(200);
    expect(notice.body).toContain('You ended this console session. Sign in again to go on.');
    expect(consoleActions().filter(({ action }) => action === 'session.end')).toHaveLength(2);
  });
}

describe('where the admin console is served', () => {
  let h: AppHarness;
  afterEach(async () => h.close());

  it('is off without an admin API on the main listener, even with the pages on', async () => {
    for (const admin of [null, { listener: 'own', hasToken: true } as const]) {
      h = await createAppHarness(testConfig({ http: { admin, ui: testUiConfig() } }));
      expect((await h.app.inject('/ui/admin/login')).statusCode).toBe(404);
      await h.close();
    }
    h = await createAppHarness(testConfig({ http: { admin: ON_MAIN, ui: null }, auth: { adminToken: ADMIN_TOKEN } }));
    expect((await h.app.inject('/ui/admin/login')).statusCode).toBe(404);
  });

  it("answers a store that went away with the console's 503 page", async () => {
    h = await createAppHarness(testConfig({ http: { admin: ON_MAIN, ui: testUiConfig() }, auth: { adminToken: ADMIN_TOKEN } }));
    const operator = await h.auth.createUser(OPERATOR.email, OPERATOR.password, { door: 'cli', address: 'cli' });
    await h.auth.updateUser({ id: operator.id }, { claims: { admin: true } }, { door: 'cli', address: 'cli' });
    const browser = new ConsoleBrowser(h);
    await browser.logIn();
    await h.store.close();
    const page = await browser.get('/ui/admin/users');
    expect(page.statusCode).toBe(503);
    expect(page.body).toContain('The service is unavailable. Try again shortly.');
    expect(page.body).toContain('<nav aria-label="Admin console">');
    expect(page.body).toContain('<p><a href="/ui/admin/login">Sign in to the console</a></p>');
    expect(page.body).not.toContain('href="/ui/signup"');
  });

  it('names its cookie __Host- with Path=/ when the session cookie is always Secure', async () => {
    h = await createAppHarness(testConfig({ http: { admin: ON_MAIN, ui: testUiConfig(), cookie: { name: '__Host-session_id', secure: 'always' } }, auth: { adminToken: ADMIN_TOKEN } }));
    const operator = await h.auth.createUser(OPERATOR.email, OPERATOR.password, { door: 'cli', address: 'cli' });
    await h.auth.updateUser({ id: operator.id }, { claims: { admin: true } }, { door: 'cli', address: 'cli' });
    const browser = new ConsoleBrowser(h);
    const login = await browser.logIn();
    expect(login.statusCode).toBe(303);
    expect(login.cookies.find((one) => one.name === '__Host-sesame_console')).toMatchObject({ path: '/', secure: true, httpOnly: true, sameSite: 'Strict' });
  });
});
