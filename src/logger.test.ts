import { Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, sessionCookieOf, type Harness } from '../test/support/harness.js';
import { checkInjections } from '../test/support/openapi-conformance.js';
import { buildApp } from './app.js';
import { hashSecret } from './core/secrets.js';
import { createAuth } from './core/auth.js';
import { auditTo, createLogger } from './logger.js';

function captureLogs(): { stream: Writable; text: () => string } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return { stream, text: () => chunks.join('') };
}

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

describe('logging', () => {
  it('censors secret fields wherever they appear', () => {
    const logs = captureLogs();
    const logger = createLogger('info', logs.stream);
    logger.info({ body: { password: 'hunter2', new_password: 'n3w', reset_token: 'rt' }, req: { headers: { cookie: 'session_id=abc', authorization: 'Bearer x' } } }, 'event');
    const text = logs.text();
    for (const secret of ['hunter2', 'n3w', '"rt"', 'session_id=abc', 'Bearer x']) expect(text).not.toContain(secret);
    expect(text).toContain('[redacted]');
  });

  it('writes no password, cookie, token or hash even at trace level, errors included', async () => {
    const { deps, store, config } = (harness = await createHarness());
    const logs = captureLogs();
    const logger = createLogger('trace', logs.stream);
    // Audit events go to the same log, as in the service.
    const auth = createAuth({ ...deps, audit: auditTo(logger) });
    const app = await buildApp({ auth, logger, http: config.http });
    checkInjections(app);
    const form = { 'content-type': 'application/x-www-form-urlencoded' };
    const password = 'Tr0ub4dor&3';
    await app.inject({ method: 'POST', url: '/users', headers: form, payload: `email=a%40x.io&password=${encodeURIComponent(password)}` });
    await app.inject({ method: 'POST', url: '/sessions', headers: form, payload: 'email=a%40x.io&password=wrong-guess' });
    const login = await app.inject({ method: 'POST', url: '/sessions', headers: form, payload: `email=a%40x.io&password=${encodeURIComponent(password)}` });
    const sessionId = sessionCookieOf(login)!;
    await app.inject({ method: 'GET', url: `/profile?session_id=${sessionId}`, headers: { cookie: `session_id=${sessionId}` } });
    const reset = await app.inject({ method: 'POST', url: '/reset_password', headers: form, payload: 'email=a%40x.io' });
    const { reset_token } = reset.json<{ reset_token: string }>();
    await app.inject({
      method: 'PUT',
      url: '/reset_password',
      headers: form,
      payload: `email=a%40x.io&reset_token=${reset_token}&new_password=brand-new-secret`,
    });
    await store.close();
    const failed = await app.inject({ method: 'GET', url: '/profile', headers: { cookie: `session_id=${sessionId}` } });
    expect(failed.statusCode).toBe(503);
    await app.close();

    const text = logs.text();
    expect(text).toContain('request completed');
    expect(text).toContain('"status":503');
    for (const event of ['login_failed', 'login_succeeded', 'reset_requested', 'password_reset']) expect(text).toContain(`"event":"${event}"`);
    for (const secret of [password, 'wrong-guess', 'brand-new-secret', sessionId, hashSecret(sessionId), reset_token, hashSecret(reset_token)]) {
      expect(text).not.toContain(secret);
    }
    expect(text).not.toMatch(/\$argon2|\$2[aby]\$/);
  });
});
