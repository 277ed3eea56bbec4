import { describe, expect, it } from 'vitest';
import { createOutboxRelay, outboxSealingKey } from '../src/core/outbox.js';
import { sessionCookieOf } from './support/harness.js';
import { METRICS_TOKEN, startMetricsRig as start } from './support/metrics-rig.js';
import { changes, scrape } from './support/scrape.js';
import { TEST_SECRETS } from './support/test-config.js';

const form = { 'content-type': 'application/x-www-form-urlencoded' };

describe('the metrics endpoint', () => {
  it('answers on the public port only with the metrics token, compared whole', async () => {
    const { app } = await start();
    for (const authorization of [undefined, `Bearer ${METRICS_TOKEN.slice(0, -1)}`, `Bearer ${METRICS_TOKEN}x`, `Basic ${METRICS_TOKEN}`, `Bearer ${TEST_SECRETS.SESAME_ADMIN_TOKEN}`]) {
      const refused = await app.inject({ method: 'GET', url: '/metrics', headers: authorization === undefined ? {} : { authorization } });
      expect(refused.statusCode).toBe(401);
      expect(refused.body).not.toContain('sesame_');
    }
    const answered = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(answered.statusCode).toBe(200);
    expect(answered.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    expect(answered.headers['cache-control']).toBe('no-store');
  });

  it('is a 404 on the public port when metrics are off', async () => {
    const { app } = await start({ http: { metrics: null } });
    const response = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } });
    expect(response.statusCode).toBe(404);
  });

  it('is served on the admin listener, and never on the public port, when there is one', async () => {
    const { app, adminApp } = await start({ auth: { adminToken: TEST_SECRETS.SESAME_ADMIN_TOKEN } }, true);
    expect((await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${METRICS_TOKEN}` } })).statusCode).toBe(404);
    const at = (headers: Record<string, string>) => adminApp!.inject({ method: 'GET', url: '/metrics', headers: { host: '127.0.0.1:5001', ...headers } });
    expect((await at({})).statusCode).toBe(401);
    expect((await at({ authorization: 'Bearer wrong-token-wrong-token-wrong-token' })).statusCode).toBe(401);
    expect((await at({ authorization: `Bearer ${METRICS_TOKEN}` })).statusCode).toBe(200);
    expect((await at({ authorization: `Bearer ${TEST_SECRETS.SESAME_ADMIN_TOKEN}` })).statusCode).toBe(200);
  });

  it('on an admin listener without any token, answers local tools as /admin there does, and refuses browsers', async () => {
    const { adminApp } = await start({ http: { metrics: { listener: 'admin', token: null } } }, true);
    expect((await adminApp!.inject({ method: 'GET', url: '/metrics', headers: { host: '127.0.0.1:5001' } })).statusCode).toBe(200);
    expect((await adminApp!.inject({ method: 'GET', url: '/metrics', headers: { host: '127.0.0.1:5001', origin: 'https://evil.example' } })).statusCode).toBe(403);
    expect((await adminApp!.inject({ method: 'GET', url: '/metrics', headers: { host: 'evil.example:5001' } })).statusCode).toBe(403);
  });
});

describe('the series', () => {
  it('count a failed log-in once, as refused for invalid credentials, and nothing else among the outcomes', async () => {
    const { app, auth } = await start();
    await auth.register('a@x.io', 'right-password', { address: '192.0.2.1' });
    const before = await scrape(app, METRICS_TOKEN);
    const response = await app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=wrong' });
    expect(response.statusCode).toBe(401);
    const after = await scrape(app, METRICS_TOKEN);
    expect(changes(before, after, 'sesame_auth_outcomes_total')).toEqual({
      'sesame_auth_outcomes_total{flow="login",outcome="refused",reason="invalid_credentials"}': 1,
    });
    expect(changes(before, after, 'sesame_http_requests_total')).toMatchObject({
      'sesame_http_requests_total{method="POST",route="/sessions",status_class="4xx"}': 1,
    });
  });

  it('count registrations, token grants and refreshes, reset requests and resets each under their own flow', async () => {
    const { app } = await start();
    const before = await scrape(app, METRICS_TOKEN);
    // The second registration of the same email is refused.
    for (let index = 0; index < 2; index += 1) await app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=a%40x.io&password=right-password' });
    const grant = await app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=password&username=a%40x.io&password=right-password' });
    const { refresh_token: refreshToken } = grant.json<{ refresh_token: string }>();
    for (const token of [refreshToken, 'forged']) await app.inject({ method: 'POST', url: '/token', headers: form, payload: `grant_type=refresh_token&refresh_token=${token}` });
    const { reset_token: resetToken } = (await app.inject({ method: 'POST', url: '/reset_password', headers: form, payload: 'email=a%40x.io' })).json<{ reset_token: string }>();
    const reset = { email: 'a@x.io', reset_token: resetToken, new_password: 'another-password' };
    // The token is good once.
    for (let index = 0; index < 2; index += 1) await app.inject({ method: 'PUT', url: '/reset_password', headers: form, payload: new URLSearchParams(reset).toString() });
    const outcome = (flow: string, result: string, reason: string) => `sesame_auth_outcomes_total{flow="${flow}",outcome="${result}",reason="${reason}"}`;
    expect(changes(before, await scrape(app, METRICS_TOKEN), 'sesame_auth_outcomes_total')).toEqual({
      [outcome('registration', 'succeeded', 'none')]: 1,
      [outcome('registration', 'refused', 'email_taken')]: 1,
      [outcome('token_password', 'succeeded', 'none')]: 1,
      [outcome('token_refresh', 'succeeded', 'none')]: 1,
      [outcome('token_refresh', 'refused', 'invalid_grant')]: 1,
      [outcome('reset_request', 'succeeded', 'none')]: 1,
      [outcome('reset', 'succeeded', 'none')]: 1,
      [outcome('reset', 'refused', 'invalid_reset_token')]: 1,
    });
  });

  it('tell a disabled account from a wrong password, which the client never can', async () => {
    const { app, auth } = await start();
    await auth.register('a@x.io', 'right-password', { address: '192.0.2.1' });
    await auth.updateUser({ email: 'a@x.io' }, { disabled: true }, { door: 'cli', address: 'cli' });
    const before = await scrape(app, METRICS_TOKEN);
    const response = await app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=password&username=a%40x.io&password=right-password' });
    expect(response.statusCode).toBe(400);
    expect(changes(before, await scrape(app, METRICS_TOKEN), 'sesame_auth_outcomes_total')).toEqual({
      'sesame_auth_outcomes_total{flow="token_password",outcome="refused",reason="disabled"}': 1,
    });
  });

  it('count each hash refused with a 503 when the hashing queue is full', async () => {
    const { app, metrics } = await start({ hashing: { concurrency: 1, queueLimit: 0 } });
    const before = await scrape(app, METRICS_TOKEN);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, index) => app.inject({ method: 'POST', url: '/users', headers: form, payload: `email=u${index}%40x.io&password=pw-${index}` })),
    );
    const refused = answers.filter((answer) => answer.statusCode === 503).length;
    expect(refused).toBeGreaterThan(0);
    const after = await scrape(app, METRICS_TOKEN);
    expect(changes(before, after, 'sesame_password_hashes_refused_total')).toEqual({ 'sesame_password_hashes_refused_total{kind="new_password"}': refused });
    expect(after.value('sesame_auth_outcomes_total', { flow: 'registration', reason: 'overloaded' })).toBe(refused);
    expect(after.value('sesame_auth_outcomes_total', { flow: 'registration', outcome: 'succeeded' })).toBe(6 - refused);
    expect(after.value('sesame_http_requests_total', { route: '/users', status_class: '5xx' })).toBe(refused);
    // The text parser drops a labelled histogram's labels: the registry the endpoint serves says it.
    const hashes = (await metrics.registry.getMetricsAsJSON()).find((metric) => metric.name === 'sesame_password_hash_duration_seconds');
    const values = (hashes?.values ?? []) as ReadonlyArray<{ metricName?: string; labels: Record<string, unknown>; value: number }>;
    const count = values.find((value) => value.metricName === 'sesame_password_hash_duration_seconds_count' && value.labels.kind === 'new_password');
    expect(count?.value).toBe(6 - refused);
  });

  it('show an outbox delivery that failed, and the message still waiting', async () => {
    const secret = Buffer.from(TEST_SECRETS.SESAME_WEBHOOK_SECRET.slice('whsec_'.length), 'base64');
    const { app, auth, harness, metrics } = await start({ webhook: { url: 'https://hooks.example/sesame', secret }, auth: { resetTokenDelivery: 'webhook' } });
    await auth.register('a@x.io', 'right-password', { address: '192.0.2.1' });
    await auth.requestPasswordReset('a@x.io', { address: '192.0.2.1' });
    const before = await scrape(app, METRICS_TOKEN);
    expect(before.value('sesame_outbox_messages_waiting')).toBe(1);
    // The configured channel's outcomes from the start, at 0; never email's, which is not configured.
    expect([...before.samples('sesame_outbox_deliveries_total')]).toEqual(
      ['delivered', 'failed', 'unreadable', 'rejected'].map((outcome) => [`sesame_outbox_deliveries_total{channel="webhook",outcome="${outcome}"}`, 0]),
    );
    const relay = createOutboxRelay({
      store: harness.store,
      clock: harness.clock,
      transport: { send: () => Promise.reject(new Error('connect ECONNREFUSED')) },
      key: outboxSealingKey(secret),
      metrics,
    });
    expect((await relay.deliverDue()).failed).toBe(1);
    const after = await scrape(app, METRICS_TOKEN);
    expect(changes(before, after, 'sesame_outbox_deliveries_total')).toEqual({ 'sesame_outbox_deliveries_total{channel="webhook",outcome="failed"}': 1 });
    expect(after.value('sesame_outbox_messages_waiting')).toBe(1);
    expect(after.value('sesame_outbox_oldest_message_age_seconds')).toBeGreaterThanOrEqual(0);
  });

  it('count limit refusals by rule and see the locked account', async () => {
    const { app, auth } = await start({ auth: { limits: { accountFailures: 2, accountFreeFailures: 2, accountClientFailures: 100 } } });
    await auth.register('a@x.io', 'right-password', { address: '192.0.2.1' });
    for (let attempt = 0; attempt < 3; attempt += 1) {
      await app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=wrong' });
    }
    const after = await scrape(app, METRICS_TOKEN);
    expect(after.value('sesame_limit_refusals_total', { rule: 'account' })).toBe(1);
    expect(after.value('sesame_locked_accounts')).toBe(1);
    expect(after.value('sesame_auth_outcomes_total', { flow: 'login', reason: 'rate_limited' })).toBe(1);
  });

  it('carry no path with an id, no email and no token in any label, and say what runs', async () => {
    const { app } = await start({ auth: { adminToken: TEST_SECRETS.SESAME_ADMIN_TOKEN }, http: { admin: { listener: 'main', hasToken: true } } });
    await app.inject({ method: 'POST', url: '/users', headers: form, payload: 'email=secret.person%40x.io&password=pw-1' });
    const login = await app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=secret.person%40x.io&password=pw-1' });
    const cookie = sessionCookieOf(login)!;
    await app.inject({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${cookie}` } });
    const { access_token: accessToken, refresh_token: refreshToken } = (
      await app.inject({ method: 'POST', url: '/token', headers: form, payload: 'grant_type=password&username=secret.person%40x.io&password=pw-1' })
    ).json<{ access_token: string; refresh_token: string }>();
    await app.inject({ method: 'GET', url: '/profile', headers: { authorization: `Bearer ${accessToken}` } });
    await app.inject({ method: 'POST', url: '/token', headers: form, payload: `grant_type=refresh_token&refresh_token=${refreshToken}` });
    const admin = { authorization: `Bearer ${TEST_SECRETS.SESAME_ADMIN_TOKEN}` };
    const user = (await app.inject({ method: 'GET', url: '/admin/users/secret.person%40x.io', headers: admin })).json<{ id: string }>();
    await app.inject({ method: 'GET', url: `/admin/users/${user.id}/sessions`, headers: admin });
    await app.inject({ method: 'GET', url: `/no/such/${cookie}` });
    await app.inject({ method: 'DELETE', url: `/sessions/${user.id}`, headers: { cookie: `session_id=${cookie}` } });
    const series = await scrape(app, METRICS_TOKEN);
    const values = series.labelValues();
    for (const secret of ['secret.person', '@', cookie, accessToken, refreshToken, user.id, TEST_SECRETS.SESAME_ADMIN_TOKEN, METRICS_TOKEN]) {
      expect(values.filter((value) => value.includes(secret))).toEqual([]);
    }
    const routes = new Set(series.families.find((family) => family.name === 'sesame_http_requests_total')!.metrics.map((sample) => sample.labels!.route!));
    expect(routes).toContain('/admin/users/:ref');
    expect(routes).toContain('unmatched');
    // Templates only: letters, separators and `:name` parameters; never a digit of an id or a token.
    for (const route of routes) expect(route).toMatch(/^(unmatched|\/[A-Za-z_/.:-]*)$/);
    expect(series.value('sesame_build_info', { version: '0.0.0-test', engine: 'sqlite', profile: 'compat' })).toBe(1);
    expect(series.value('process_resident_memory_bytes')).toBeGreaterThan(0);
    expect(series.value('sesame_session_cache_lookups_total', { cache: 'memory', result: 'miss' })).toBeGreaterThan(0);
  });
});
