import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { deferred } from '../../test/support/deferred.js';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { testConfig } from '../../test/support/test-config.js';
import { createAuth } from './auth.js';
import type { AuthErrorCode } from './errors.js';
import { generateId } from './secrets.js';

const client = { address: '203.0.113.7' };

const pythonBcrypt = JSON.parse(readFileSync(new URL('../../test/fixtures/python-bcrypt.json', import.meta.url), 'utf8')) as {
  hashes: Array<{ password: string; hash: string }>;
};

let harness: Harness;
afterEach(async () => harness.close());

async function setUp(overrides: Parameters<typeof testConfig>[0] = {}): Promise<Harness> {
  harness = await createHarness(testConfig(overrides));
  return harness;
}

/** A core with these settings and a registered user's cookie session on it. */
async function loggedIn(overrides: Parameters<typeof testConfig>[0] = {}): Promise<Harness & { sessionToken: string }> {
  const h = await setUp(overrides);
  await h.auth.register('a@x.io', 'pw', client);
  const { sessionToken } = await h.auth.logIn('a@x.io', 'pw', null, client);
  return { ...h, sessionToken };
}

async function expectAuthError(promise: Promise<unknown>, code: AuthErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'AuthError', code });
}

/** The same use cases, with every new password's hashing held until `gate` opens. */
function withHashingHeldAt({ deps, hasher }: Harness, gate: Promise<void>) {
  return createAuth({
    ...deps,
    hasher: { ...hasher, hash: async (password, normalization) => (await gate, hasher.hash(password, normalization)) },
  });
}

/** Starts a token session (password grant) and returns a check of whether it is still live. */
async function startTokenSession({ auth }: Harness, email: string, password: string): Promise<() => Promise<boolean>> {
  const { accessToken } = await auth.grantTokens(email, password, client);
  return async () => (await auth.validateAccessToken(accessToken)) !== null;
}

describe('registration and log-in', () => {
  it('logs a registered user in with a fresh 256-bit session token', async () => {
    const { auth } = await setUp();
    await auth.register('guillaume@holberton.io', 'b4l0u', client);
    const { sessionToken } = await auth.logIn('guillaume@holberton.io', 'b4l0u', null, client);
    expect(sessionToken).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const principal = await auth.validateSessionToken(sessionToken);
    expect(principal).toMatchObject({ email: 'guillaume@holberton.io' });
  });

  it('stores the email as given and matches it by its trimmed lower-case key', async () => {
    const { auth } = await setUp();
    await auth.register('Bob@Example.com', 'pw', client);
    await expectAuthError(auth.register(' bob@EXAMPLE.com', 'other', client), 'email_taken');
    const { sessionToken } = await auth.logIn('  BOB@example.com ', 'pw', null, client);
    expect((await auth.validateSessionToken(sessionToken))?.email).toBe('Bob@Example.com');
  });

  it('gives one answer for an unknown email and a wrong password, after the same hashing work', async () => {
    const { auth, hasher, deps } = await setUp();
    const checks: string[] = [];
    const counting = createAuth({
      ...deps,
      hasher: {
        ...hasher,
        verify: (password, stored) => (checks.push('real'), hasher.verify(password, stored)),
        verifyNothing: (password) => (checks.push('dummy'), hasher.verifyNothing(password)),
      },
    });
    await auth.register('known@x.io', 'right', client);
    await expect(counting.logIn('known@x.io', 'wrong', null, client)).rejects.toMatchObject({
      code: 'invalid_credentials',
      message: 'wrong email or password',
    });
    await expect(counting.logIn('unknown@x.io', 'right', null, client)).rejects.toMatchObject({
      code: 'invalid_credentials',
      message: 'wrong email or password',
    });
    expect(checks).toEqual(['real', 'dummy']);
  });

  it('registers one user when many register the same email at once', async () => {
    const { auth } = await setUp();
    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, index) => auth.register('race@x.io', 'pw', { address: `203.0.113.${index}` })));
    expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
    for (const result of results) {
      if (result.status === 'rejected') expect(result.reason).toMatchObject({ code: 'email_taken' });
    }
  });

  it('verifies a bcrypt hash from the Flask app and upgrades it to argon2id at log-in', async () => {
    const { auth, store, clock } = await setUp();
    for (const [index, { password, hash }] of pythonBcrypt.hashes.entries()) {
      const email = `legacy${index}@x.io`;
      const now = clock.now();
      await store.insertUser({
        id: generateId(),
        email,
        emailKey: email,
        password: { hash, normalization: 'none' },
        passwordVersion: 0,
        claims: null,
        createdAt: now,
        updatedAt: now,
        disabledAt: null,
        lastLoginAt: null,
      });
      await expectAuthError(auth.logIn(email, `${password}x`, null, client), 'invalid_credentials');
      expect((await store.findUserByEmailKey(email))?.password.hash).toBe(hash);

      await auth.logIn(email, password, null, client);
      const upgraded = await store.findUserByEmailKey(email);
      expect(upgraded?.password.hash).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
      expect(upgraded?.password.normalization).toBe('none');
      await auth.logIn(email, password, null, client);
      await expectAuthError(auth.logIn(email, `${password}x`, null, client), 'invalid_credentials');
    }
  });

  it('logs in every one of concurrent log-ins while the hash is being upgraded', async () => {
    const { auth, store, clock } = await setUp({ auth: { singleCookieSession: false } });
    const [{ password, hash }] = pythonBcrypt.hashes as [{ password: string; hash: string }];
    const now = clock.now();
    await store.insertUser({
      id: generateId(),
      email: 'legacy@x.io',
      emailKey: 'legacy@x.io',
      password: { hash, normalization: 'none' },
      passwordVersion: 0,
      claims: null,
      createdAt: now,
      updatedAt: now,
      disabledAt: null,
      lastLoginAt: null,
    });
    const logins = await Promise.all(Array.from({ length: 5 }, () => auth.logIn('legacy@x.io', password, null, client)));
    const live = await Promise.all(logins.map(({ sessionToken }) => auth.validateSessionToken(sessionToken)));
    expect(live.every((principal) => principal !== null)).toBe(true);
    expect((await store.findUserByEmailKey('legacy@x.io'))?.password.hash).toMatch(/^\$argon2id\$/);
  });
});

describe('session lifetime', () => {
  it('ends a session idle for longer than the idle timeout', async () => {
    const { auth, clock, sessionToken } = await loggedIn({ auth: { sessionIdleTimeoutSeconds: 600 } });
    clock.advanceSeconds(599);
    expect(await auth.validateSessionToken(sessionToken)).not.toBeNull();
    clock.advanceSeconds(599);
    expect(await auth.validateSessionToken(sessionToken)).not.toBeNull();
    clock.advanceSeconds(600);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
  });

  it('ends an active session at its absolute lifetime', async () => {
    const { auth, clock, sessionToken } = await loggedIn({ auth: { sessionIdleTimeoutSeconds: 3600, sessionAbsoluteLifetimeSeconds: 7200 } });
    for (let minutes = 30; minutes < 120; minutes += 30) {
      clock.advanceSeconds(1800);
      expect(await auth.validateSessionToken(sessionToken)).not.toBeNull();
    }
    clock.advanceSeconds(1800);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
  });

  it('keeps a session in steady use alive when the idle timeout is a minute or less', async () => {
    const { auth, clock, sessionToken } = await loggedIn({ auth: { sessionIdleTimeoutSeconds: 60 } });
    const isLiveAfter = async (seconds: number) => (clock.advanceSeconds(seconds), (await auth.validateSessionToken(sessionToken)) !== null);
    for (let use = 0; use < 60; use += 1) expect(await isLiveAfter(5)).toBe(true);
    // Idle for the timeout, less the tenth of it that a use may go unwritten.
    expect(await isLiveAfter(53)).toBe(true);
    expect(await isLiveAfter(60)).toBe(false);
  });

  it('writes the last-seen time at most once a minute', async () => {
    const { auth, clock, store, sessionToken } = await loggedIn();
    const { hashSecret } = await import('./secrets.js');
    const lastSeen = async () => (await store.findSessionByTokenHash(hashSecret(sessionToken)))?.lastSeenAt.getTime();
    const start = clock.now().getTime();

    clock.advanceSeconds(59);
    await auth.validateSessionToken(sessionToken);
    expect(await lastSeen()).toBe(start);
    clock.advanceSeconds(1);
    await auth.validateSessionToken(sessionToken);
    expect(await lastSeen()).toBe(start + 60_000);
    clock.advanceSeconds(30);
    await auth.validateSessionToken(sessionToken);
    expect(await lastSeen()).toBe(start + 60_000);
  });

  it('refuses tokens that are not of the shape it issues, even when sessions without a cookie hash exist', async () => {
    const h = await setUp();
    const { auth } = h;
    await auth.register('a@x.io', 'pw', client);
    expect(await (await startTokenSession(h, 'a@x.io', 'pw'))()).toBe(true);
    for (const token of ['', 'x', 'a'.repeat(42), 'a'.repeat(44), `${'a'.repeat(42)}=`, `${'a'.repeat(42)} `]) {
      expect(await auth.validateSessionToken(token)).toBeNull();
    }
  });

  it('purges sessions past either limit and expired reset tokens, and keeps the rest', async () => {
    const { auth, clock } = await setUp({ auth: { sessionIdleTimeoutSeconds: 600, resetTokenTtlSeconds: 300, singleCookieSession: false } });
    await auth.register('a@x.io', 'pw', client);
    await auth.register('b@x.io', 'pw', client);
    await auth.logIn('a@x.io', 'pw', null, client);
    await auth.logIn('a@x.io', 'pw', null, client);
    await auth.requestPasswordReset('a@x.io', client);
    clock.advanceSeconds(500);
    const { sessionToken: live } = await auth.logIn('b@x.io', 'pw', null, client);
    const resetToken = (await auth.requestPasswordReset('b@x.io', client)).resetToken!;
    clock.advanceSeconds(200);

    expect(await auth.purgeExpired()).toEqual({ sessions: 2, resetTokens: 1 });
    expect(await auth.validateSessionToken(live)).not.toBeNull();
    await auth.resetPassword('b@x.io', resetToken, 'new', client);
    expect(await auth.purgeExpired()).toEqual({ sessions: 0, resetTokens: 0 });
  });
});

describe('one cookie session per user (compat)', () => {
  it('ends the earlier cookie session at a new log-in and leaves token sessions alone', async () => {
    const h = await setUp();
    const { auth } = h;
    await auth.register('a@x.io', 'pw', client);
    const first = await auth.logIn('a@x.io', 'pw', null, client);
    const tokenSessionLive = await startTokenSession(h, 'a@x.io', 'pw');
    const second = await auth.logIn('a@x.io', 'pw', null, client);
    expect(await auth.validateSessionToken(first.sessionToken)).toBeNull();
    expect(await auth.validateSessionToken(second.sessionToken)).not.toBeNull();
    expect(await tokenSessionLive()).toBe(true);
  });

  it('leaves exactly one cookie session after concurrent log-ins', async () => {
    // Concurrent checks count against the account's limits until they finish; twelve at once
    // exceed the default five, so the limits are loosened to race the log-ins themselves.
    const { auth } = await setUp({ auth: { limits: { accountFreeFailures: 50, accountClientFailures: 50 } } });
    await auth.register('a@x.io', 'pw', client);
    const logins = await Promise.all(Array.from({ length: 12 }, () => auth.logIn('a@x.io', 'pw', null, client)));
    const live = await Promise.all(logins.map(({ sessionToken }) => auth.validateSessionToken(sessionToken)));
    expect(live.filter((principal) => principal !== null)).toHaveLength(1);
  });

  it('keeps every session when single cookie sessions are off, but replaces the one the client presents', async () => {
    const { auth } = await setUp({ auth: { singleCookieSession: false } });
    await auth.register('a@x.io', 'pw', client);
    const laptop = await auth.logIn('a@x.io', 'pw', null, client);
    const phone = await auth.logIn('a@x.io', 'pw', null, client);
    expect(await auth.validateSessionToken(laptop.sessionToken)).not.toBeNull();
    const phoneAgain = await auth.logIn('a@x.io', 'pw', phone.sessionToken, client);
    expect(await auth.validateSessionToken(phone.sessionToken)).toBeNull();
    expect(await auth.validateSessionToken(phoneAgain.sessionToken)).not.toBeNull();
    expect(await auth.validateSessionToken(laptop.sessionToken)).not.toBeNull();
  });
});

describe('log-out and password change', () => {
  it('ends the session once', async () => {
    const { auth } = await setUp();
    await auth.register('a@x.io', 'pw', client);
    const { sessionToken } = await auth.logIn('a@x.io', 'pw', null, client);
    const principal = await auth.validateSessionToken(sessionToken);
    await auth.logOut(principal!, client);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
    await expectAuthError(auth.logOut(principal!, client), 'invalid_session');
  });

  it('changes the password, keeps the current session and ends every other one', async () => {
    const h = await setUp({ auth: { singleCookieSession: false } });
    const { auth } = h;
    await auth.register('a@x.io', 'old', client);
    const current = await auth.logIn('a@x.io', 'old', null, client);
    const other = await auth.logIn('a@x.io', 'old', null, client);
    const tokenSessionLive = await startTokenSession(h, 'a@x.io', 'old');
    const resetToken = (await auth.requestPasswordReset('a@x.io', client)).resetToken!;
    const principal = await auth.validateSessionToken(current.sessionToken);

    await expectAuthError(auth.changePassword(principal!, 'wrong', 'new', client), 'invalid_credentials');
    await auth.changePassword(principal!, 'old', 'new', client);

    expect(await auth.validateSessionToken(current.sessionToken)).not.toBeNull();
    expect(await auth.validateSessionToken(other.sessionToken)).toBeNull();
    expect(await tokenSessionLive()).toBe(false);
    await expectAuthError(auth.logIn('a@x.io', 'old', null, client), 'invalid_credentials');
    await auth.logIn('a@x.io', 'new', null, client);
    // A reset token issued before the change must not outlive it.
    await expectAuthError(auth.resetPassword('a@x.io', resetToken, 'newer', client), 'invalid_reset_token');
  });

  it('refuses a change made from a session that ended while the new password was hashing', async () => {
    const h = await setUp();
    const { auth } = h;
    const gate = deferred();
    const slow = withHashingHeldAt(h, gate.promise);
    await auth.register('a@x.io', 'old', client);
    const { sessionToken } = await auth.logIn('a@x.io', 'old', null, client);
    const principal = (await auth.validateSessionToken(sessionToken))!;

    const change = slow.changePassword(principal, 'old', 'attacker', client);
    await auth.logOut(principal, client);
    gate.resolve();
    await expectAuthError(change, 'invalid_session');
    await auth.logIn('a@x.io', 'old', null, client);
  });

  it('lets a reset win over a change that was hashing when the reset landed', async () => {
    const h = await setUp({ auth: { singleCookieSession: false } });
    const { auth } = h;
    const gate = deferred();
    const slow = withHashingHeldAt(h, gate.promise);
    await auth.register('a@x.io', 'old', client);
    const stolen = await auth.logIn('a@x.io', 'old', null, client);
    const attacker = (await auth.validateSessionToken(stolen.sessionToken))!;

    const change = slow.changePassword(attacker, 'old', 'attacker', client);
    const resetToken = (await auth.requestPasswordReset('a@x.io', client)).resetToken!;
    await auth.resetPassword('a@x.io', resetToken, 'owner', client);
    gate.resolve();
    await expectAuthError(change, 'invalid_session');
    await auth.logIn('a@x.io', 'owner', null, client);
    await expectAuthError(auth.logIn('a@x.io', 'attacker', null, client), 'invalid_credentials');
  });

  it('applies the password rules to the new password', async () => {
    const { auth } = await setUp({ auth: { password: { minLength: 15 } } });
    await expectAuthError(auth.register('a@x.io', 'fourteen chars', client), 'invalid_input');
    await auth.register('a@x.io', 'fifteen chars!!', client);
    const { sessionToken } = await auth.logIn('a@x.io', 'fifteen chars!!', null, client);
    const principal = await auth.validateSessionToken(sessionToken);
    await expect(auth.changePassword(principal!, 'fifteen chars!!', 'too short', client)).rejects.toMatchObject({
      code: 'invalid_input',
      message: 'new_password must have at least 15 characters',
    });
  });
});

describe('password reset', () => {
  it('resets with the token, ends every session, and refuses the token a second time', async () => {
    const h = await setUp();
    const { auth } = h;
    await auth.register('a@x.io', 'old', client);
    const { sessionToken } = await auth.logIn('a@x.io', 'old', null, client);
    const tokenSessionLive = await startTokenSession(h, 'a@x.io', 'old');
    const resetToken = (await auth.requestPasswordReset('a@x.io', client)).resetToken!;
    expect(resetToken).toMatch(/^[A-Za-z0-9_-]{43}$/);

    await auth.resetPassword('A@X.io', resetToken, 'new', client);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
    expect(await tokenSessionLive()).toBe(false);
    await expectAuthError(auth.logIn('a@x.io', 'old', null, client), 'invalid_credentials');
    await auth.logIn('a@x.io', 'new', null, client);
    await expectAuthError(auth.resetPassword('a@x.io', resetToken, 'newer', client), 'invalid_reset_token');
  });

  it('refuses an expired token', async () => {
    const { auth, clock } = await setUp({ auth: { resetTokenTtlSeconds: 3600 } });
    await auth.register('a@x.io', 'old', client);
    const resetToken = (await auth.requestPasswordReset('a@x.io', client)).resetToken!;
    clock.advanceSeconds(3600);
    await expectAuthError(auth.resetPassword('a@x.io', resetToken, 'new', client), 'invalid_reset_token');
  });

  it('replaces an earlier token with a newer one', async () => {
    const { auth } = await setUp();
    await auth.register('a@x.io', 'old', client);
    const first = await auth.requestPasswordReset('a@x.io', client);
    const second = await auth.requestPasswordReset('a@x.io', client);
    await expectAuthError(auth.resetPassword('a@x.io', first.resetToken!, 'new', client), 'invalid_reset_token');
    await auth.resetPassword('a@x.io', second.resetToken!, 'new', client);
  });

  it("refuses a token for another user's email without consuming it", async () => {
    const { auth } = await setUp();
    await auth.register('a@x.io', 'pw', client);
    await auth.register('mallory@x.io', 'pw', client);
    const resetToken = (await auth.requestPasswordReset('a@x.io', client)).resetToken!;
    await expectAuthError(auth.resetPassword('mallory@x.io', resetToken, 'pwned', client), 'invalid_reset_token');
    await expectAuthError(auth.resetPassword('nobody@x.io', resetToken, 'pwned', client), 'invalid_reset_token');
    await auth.resetPassword('a@x.io', resetToken, 'new', client);
  });

  it('never matches an empty or malformed token, even for a user with no pending reset', async () => {
    const { auth } = await setUp();
    await auth.register('a@x.io', 'pw', client);
    for (const token of ['', ' ', 'null', 'None']) {
      await expectAuthError(auth.resetPassword('a@x.io', token, 'new', client), 'invalid_reset_token');
    }
  });

  it('refuses a reset for an unknown email (compat contract)', async () => {
    const { auth } = await setUp();
    await expectAuthError(auth.requestPasswordReset('nobody@x.io', client), 'email_not_registered');
  });

  it('lets exactly one of concurrent resets with one token succeed', async () => {
    const { auth } = await setUp();
    await auth.register('a@x.io', 'old', client);
    const resetToken = (await auth.requestPasswordReset('a@x.io', client)).resetToken!;
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, index) => auth.resetPassword('a@x.io', resetToken, `new-${index}`, client)),
    );
    const winners = results.flatMap((result, index) => (result.status === 'fulfilled' ? [index] : []));
    expect(winners).toHaveLength(1);
    await auth.logIn('a@x.io', `new-${winners[0]}`, null, client);
  });
});
