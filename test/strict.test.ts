import { createHmac, randomBytes } from 'node:crypto';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { requests } from './support/requests-like.js';
import { runCli, startServer, type ServerProcess } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';
import { WebhookReceiver } from './support/webhook-receiver.js';

/** The strict profile end to end (DESIGN.md §2): a real Sesame process and a real webhook receiver. */

const COOKIE = '__Host-session_id';
const secret = randomBytes(32);
const strictEnv = (webhookUrl: string): Record<string, string> => ({
  SESAME_PROFILE: 'strict',
  SESAME_INTROSPECTION_TOKEN: randomBytes(32).toString('hex'),
  SESAME_KEY_ENCRYPTION_KEY: randomBytes(32).toString('hex'),
  SESAME_RESET_WEBHOOK_URL: webhookUrl,
  SESAME_WEBHOOK_SECRET: `whsec_${secret.toString('base64')}`,
  // A cheap hash: the cost is a parameter of the hash, so every code path stays the same.
  SESAME_ARGON2_MEMORY_KIB: '1024',
  SESAME_ARGON2_ITERATIONS: '1',
});

const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function receiver(options?: Parameters<typeof WebhookReceiver.start>[1]): Promise<WebhookReceiver> {
  const started = await WebhookReceiver.start(secret, options);
  cleanups.push(() => started.close());
  return started;
}

async function sesame(database: string, env: Record<string, string>): Promise<ServerProcess> {
  const server = await startServer({ database: `sqlite:${database}`, env });
  cleanups.push(() => server.stop('SIGKILL'));
  return server;
}

const STRONG = 'correct horse battery staple';

describe('the strict profile', () => {
  it('runs the whole flow with tokens only by signed webhook, and notices of every password change', async () => {
    const hooks = await receiver();
    const { url } = await sesame(tempDatabasePath(), strictEnv(hooks.url));

    const short = await requests.post(`${url}/users`, { data: { email: 'a@x.io', password: 'b4l0u' } });
    expect([short.statusCode, short.json()]).toEqual([400, { message: 'password must have at least 15 characters' }]);
    const common = await requests.post(`${url}/users`, { data: { email: 'a@x.io', password: '123456789987654321' } });
    expect([common.statusCode, common.json()]).toEqual([400, { message: 'password is too common: it is on a list of frequently used passwords' }]);
    expect((await requests.post(`${url}/users`, { data: { email: 'a@x.io', password: STRONG } })).statusCode).toBe(200);

    const login = await requests.post(`${url}/sessions`, { data: { email: 'a@x.io', password: STRONG } });
    expect(login.statusCode).toBe(200);
    const setCookie = login.headers.getSetCookie().join('\n');
    expect(setCookie).toMatch(new RegExp(`^${COOKIE}=[^;]+; Path=/; HttpOnly; Secure; SameSite=Lax$`));
    expect(login.cookies.has('session_id')).toBe(false);
    const cookie = { [COOKIE]: login.cookies.get(COOKIE)! };
    // Unlimited cookie sessions: a second log-in leaves the first alone.
    const second = await requests.post(`${url}/sessions`, { data: { email: 'a@x.io', password: STRONG } });
    expect((await requests.get(`${url}/profile`, { cookies: cookie })).json()).toEqual({ email: 'a@x.io' });
    expect((await requests.get(`${url}/profile`, { cookies: { [COOKIE]: second.cookies.get(COOKIE)! } })).statusCode).toBe(200);

    // Known and unknown emails get the same answer; no token in either.
    const known = await requests.post(`${url}/reset_password`, { data: { email: 'a@x.io' } });
    const unknown = await requests.post(`${url}/reset_password`, { data: { email: 'nobody@x.io' } });
    expect([known.statusCode, known.json()]).toEqual([200, { email: 'a@x.io', message: 'reset requested' }]);
    expect([unknown.statusCode, unknown.json()]).toEqual([200, { email: 'nobody@x.io', message: 'reset requested' }]);

    const requested = await hooks.next('password_reset.requested');
    const anyString = expect.any(String) as unknown as string;
    expect(requested.data).toEqual({ user_id: anyString, email: 'a@x.io', reset_token: anyString, expires_at: anyString });
    expect((await hooks.next('password_reset.unknown_email')).data).toEqual({ email: 'nobody@x.io' });
    const reset = await requests.put(`${url}/reset_password`, {
      data: { email: 'a@x.io', reset_token: requested.data.reset_token!, new_password: 'a brand new passphrase' },
    });
    expect([reset.statusCode, reset.json()]).toEqual([200, { email: 'a@x.io', message: 'Password updated' }]);
    expect((await hooks.next('password.changed')).data).toEqual({ user_id: requested.data.user_id, email: 'a@x.io', reason: 'reset' });
    // The reset ended every session.
    expect((await requests.get(`${url}/profile`, { cookies: cookie })).statusCode).toBe(403);

    const again = await requests.post(`${url}/sessions`, { data: { email: 'a@x.io', password: 'a brand new passphrase' } });
    const change = await requests.put(`${url}/password`, {
      data: { password: 'a brand new passphrase', new_password: 'yet another long passphrase' },
      cookies: { [COOKIE]: again.cookies.get(COOKIE)! },
    });
    expect(change.statusCode).toBe(200);
    await expect.poll(() => hooks.events.filter((event) => event.type === 'password.changed').map((event) => event.data.reason)).toEqual(['reset', 'change']);
    expect(hooks.refusals).toEqual([]);
    expect(hooks.libraryRefusals).toEqual([]);

    // What a receiver that verifies as docs/configuration.md shows refuses: a replay, a forged body, an old signature.
    const captured = hooks.raw[0]!;
    expect(await hooks.replay(captured)).toBe(409);
    expect(await hooks.replay({ ...captured, body: captured.body.replace('a@x.io', 'evil@x.io') })).toBe(401);
    const old = String(Math.floor(Date.now() / 1000) - 3600);
    const oldSignature = createHmac('sha256', secret).update(`fresh-id.${old}.${captured.body}`).digest('base64');
    expect(await hooks.replay(captured, { 'webhook-id': 'fresh-id', 'webhook-timestamp': old, 'webhook-signature': `v1,${oldSignature}` })).toBe(401);
    expect(hooks.refusals).toEqual(['replayed', 'bad signature', 'stale timestamp']);
  });

  it('delivers a reset request accepted just before a crash, once Sesame is back', async () => {
    // A receiver that is not there yet: reserve its port, then free it.
    const placeholder = await WebhookReceiver.start(secret);
    const port = Number(new URL(placeholder.url).port);
    const hookUrl = placeholder.url;
    await placeholder.close();
    const database = tempDatabasePath();
    const env = strictEnv(hookUrl);
    const first = await sesame(database, env);
    await requests.post(`${first.url}/users`, { data: { email: 'a@x.io', password: STRONG } });
    expect((await requests.post(`${first.url}/reset_password`, { data: { email: 'a@x.io' } })).statusCode).toBe(200);
    // Killed once its first attempt has failed, with the message still waiting. (Killed in the
    // middle of an attempt, the message would wait out its lease, 30 s, before another try.)
    await expect.poll(() => first.output(), { timeout: 5_000 }).toContain('webhook deliveries failed');
    await first.stop('SIGKILL');

    const hooks = await receiver({ port });
    const second = await sesame(database, env);
    const requested = await hooks.next('password_reset.requested');
    const reset = await requests.put(`${second.url}/reset_password`, {
      data: { email: 'a@x.io', reset_token: requested.data.reset_token!, new_password: 'a brand new passphrase' },
    });
    expect(reset.statusCode).toBe(200);
  });

  it('retries a receiver that fails, with backoff, until it accepts', async () => {
    const hooks = await receiver({ failures: 1 });
    const { url } = await sesame(tempDatabasePath(), strictEnv(hooks.url));
    await requests.post(`${url}/reset_password`, { data: { email: 'nobody@x.io' } });
    expect((await hooks.next('password_reset.unknown_email')).data.email).toBe('nobody@x.io');
    expect(hooks.events).toHaveLength(1);
  });

  it('verifies compat-era hashes and upgrades them, and logs in NFKC-equivalent and emoji passwords', async () => {
    const hooks = await receiver();
    const database = tempDatabasePath();
    const compat = await sesame(database, {});
    await requests.post(`${compat.url}/users`, { data: { email: 'old@x.io', password: 'b4l0u' } });
    await compat.stop();

    const { url } = await sesame(database, strictEnv(hooks.url));
    expect((await requests.post(`${url}/sessions`, { data: { email: 'old@x.io', password: 'b4l0u' } })).statusCode).toBe(200);
    const row = new Database(database, { readonly: true }).prepare("select password_normalization from users where email = 'old@x.io'").get();
    expect(row).toEqual({ password_normalization: 'nfkc' });
    expect((await requests.post(`${url}/sessions`, { data: { email: 'old@x.io', password: 'b4l0u' } })).statusCode).toBe(200);

    // U+FB01 (ﬁ) and "fi" are one password under NFKC; so are full-width and ASCII letters.
    await requests.post(`${url}/users`, { data: { email: 'nfkc@x.io', password: '\uFB01ne and dandy, thanks' } });
    expect((await requests.post(`${url}/sessions`, { data: { email: 'nfkc@x.io', password: 'fine and dandy, thanks' } })).statusCode).toBe(200);
    await requests.post(`${url}/users`, { data: { email: 'wide@x.io', password: 'ｃｏｒｒｅｃｔ ｈｏｒｓｅ ｂａｔｔｅｒｙ' } });
    expect((await requests.post(`${url}/sessions`, { data: { email: 'wide@x.io', password: 'correct horse battery' } })).statusCode).toBe(200);
    const emoji = '🐴🔋📎✅🎉🍕🚀🌈🦄🎸🍩🧩🛶🪁🎯';
    expect((await requests.post(`${url}/users`, { data: { email: 'emoji@x.io', password: emoji } })).statusCode).toBe(200);
    expect((await requests.post(`${url}/sessions`, { data: { email: 'emoji@x.io', password: emoji } })).statusCode).toBe(200);
    expect((await requests.post(`${url}/sessions`, { data: { email: 'emoji@x.io', password: emoji.slice(0, -2) } })).statusCode).toBe(401);
  });

  it('refuses to start without its secrets, naming each', async () => {
    const { code, stderr } = await runCli(['serve'], { SESAME_PROFILE: 'strict', SESAME_DATABASE_URL: `sqlite:${tempDatabasePath()}` });
    expect(code).toBe(2);
    for (const name of ['SESAME_INTROSPECTION_TOKEN', 'SESAME_KEY_ENCRYPTION_KEY', 'SESAME_RESET_WEBHOOK_URL', 'SESAME_WEBHOOK_SECRET']) {
      expect(stderr).toContain(name);
    }
  });
});
