import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { testConfig, type ConfigOverrides } from '../../test/support/test-config.js';
import type { Operator, UserView } from './admin.js';
import type { AuthErrorCode } from './errors.js';
import { createOutboxRelay, outboxSealingKey, type WebhookDelivery } from './outbox.js';

const client = { address: '203.0.113.7', userAgent: 'Mozilla/5.0 (X11) Firefox/140.0' };
const operator: Operator = { door: 'token', address: '198.51.100.1' };
const ADMIN_TOKEN = 'an-admin-token-of-forty-random-characters-x';

let h: Harness;
afterEach(async () => h.close());

async function setUp(overrides: ConfigOverrides = {}): Promise<Harness> {
  h = await createHarness(testConfig({ ...overrides, auth: { adminToken: ADMIN_TOKEN, ...overrides.auth } }));
  return h;
}

async function expectAuthError(promise: Promise<unknown>, code: AuthErrorCode): Promise<void> {
  await expect(promise).rejects.toMatchObject({ name: 'AuthError', code });
}

/** Registers `count` users a second apart, a0@x.io first, and returns their ids in that order. */
async function registerUsers(count: number, prefix = 'a'): Promise<string[]> {
  const ids: string[] = [];
  for (let index = 0; index < count; index += 1) {
    const view = await h.auth.createUser(`${prefix}${index}@x.io`, 'pw', operator);
    ids.push(view.id);
    h.clock.advanceSeconds(1);
  }
  return ids;
}

/** Every user of a listing, page after page, and how many pages it took. */
async function walk(request: Partial<Parameters<Harness['auth']['listUsers']>[0]> & { limit: number }): Promise<{ users: UserView[]; pages: number }> {
  const users: UserView[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await h.auth.listUsers({ order: 'newest', emailPrefix: null, state: null, ...request, cursor });
    users.push(...page.users);
    cursor = page.nextCursor;
    pages += 1;
  } while (cursor !== null && pages < 100);
  return { users, pages };
}

describe('the admin token', () => {
  it('is accepted exactly, and refused when missing, wrong or not configured', async () => {
    const { auth } = await setUp();
    expect(() => auth.authorizeAdmin(ADMIN_TOKEN)).not.toThrow();
    for (const presented of [null, '', `${ADMIN_TOKEN}x`, ADMIN_TOKEN.slice(1)]) {
      expect(() => auth.authorizeAdmin(presented)).toThrow(expect.objectContaining({ code: 'invalid_client' }));
    }
    await h.close();
    const { auth: withoutToken } = await setUp({ auth: { adminToken: null } });
    expect(() => withoutToken.authorizeAdmin(ADMIN_TOKEN)).toThrow(expect.objectContaining({ code: 'invalid_client' }));
  });
});

describe('listing users', () => {
  it('walks every user once, newest or oldest first, page by page', async () => {
    await setUp();
    const ids = await registerUsers(7);
    const newest = await walk({ limit: 3 });
    expect(newest.users.map((user) => user.id)).toEqual([...ids].reverse());
    expect(newest.pages).toBe(3);
    const oldest = await walk({ order: 'oldest', limit: 3 });
    expect(oldest.users.map((user) => user.id)).toEqual(ids);
    const exact = await walk({ limit: 7 });
    expect(exact.users).toHaveLength(7);
  });

  it('shows what an operator needs of each user, and no hash', async () => {
    const { auth, clock } = await setUp();
    const created = await auth.createUser('Ann@X.io', 'pw', operator);
    clock.advanceSeconds(5);
    await auth.logIn('ann@x.io', 'pw', null, client);
    const [listed] = (await auth.listUsers({ order: 'newest', cursor: null, limit: 10, emailPrefix: null, state: null })).users;
    expect(listed).toEqual({
      id: created.id,
      email: 'Ann@X.io',
      createdAt: created.createdAt,
      updatedAt: created.createdAt,
      disabled: false,
      locked: false,
      lastLoginAt: clock.now(),
      claims: null,
    });
  });

  it('filters by a prefix of the lower-cased email and by state', async () => {
    const { auth } = await setUp();
    await registerUsers(3, 'Bob');
    const [other] = await registerUsers(2, 'carol');
    await auth.updateUser({ id: other! }, { disabled: true }, operator);
    const emails = async (emailPrefix: string | null, state: 'active' | 'disabled' | 'locked' | null) =>
      (await walk({ limit: 2, emailPrefix, state })).users.map((user) => user.email).sort();
    expect(await emails('BOB', null)).toEqual(['Bob0@x.io', 'Bob1@x.io', 'Bob2@x.io']);
    expect(await emails('bob1', null)).toEqual(['Bob1@x.io']);
    expect(await emails(null, 'disabled')).toEqual(['carol0@x.io']);
    expect(await emails('carol', 'active')).toEqual(['carol1@x.io']);
    expect(await emails('%', null)).toEqual([]);
  });

  it('refuses a cursor it did not give, or one of the other order', async () => {
    const { auth } = await setUp();
    await registerUsers(3);
    const { nextCursor } = await auth.listUsers({ order: 'newest', cursor: null, limit: 1, emailPrefix: null, state: null });
    expect(nextCursor).not.toBeNull();
    await expectAuthError(auth.listUsers({ order: 'oldest', cursor: nextCursor, limit: 1, emailPrefix: null, state: null }), 'invalid_input');
    for (const cursor of ['', 'not-base64!', Buffer.from('{"a":1}').toString('base64url'), Buffer.from('["newest","1","x"]').toString('base64url')]) {
      await expectAuthError(auth.listUsers({ order: 'newest', cursor, limit: 1, emailPrefix: null, state: null }), 'invalid_input');
    }
  });
});

describe('one user', () => {
  it('is found by id or by email, and an unknown one is user_not_found', async () => {
    const { auth } = await setUp();
    const { id } = await auth.createUser('dan@x.io', 'pw', operator);
    expect((await auth.getUser({ id })).email).toBe('dan@x.io');
    expect((await auth.getUser({ email: ' DAN@x.io ' })).id).toBe(id);
    await expectAuthError(auth.getUser({ id: 'AAAAAAAAAAAAAAAAAAAAAA' }), 'user_not_found');
    await expectAuthError(auth.getUser({ email: 'nobody@x.io' }), 'user_not_found');
    await expectAuthError(auth.createUser('DAN@x.io', 'pw', operator), 'email_taken');
    await expectAuthError(auth.createUser('eve@x.io', '', operator), 'invalid_input');
  });

  it('records every change as an admin_action naming the operator', async () => {
    const { auth, audited } = await setUp();
    const { id } = await auth.createUser('fay@x.io', 'pw', operator);
    await auth.updateUser({ id }, { claims: { role: 'editor' } }, operator);
    await auth.unlock({ id }, { door: 'cli', address: 'cli' });
    expect(audited.filter((event) => event.event === 'admin_action')).toEqual([
      { event: 'admin_action', action: 'user.create', userId: id, caller: 'token', client: operator.address },
      { event: 'admin_action', action: 'user.update', userId: id, endedSessions: 0, caller: 'token', client: operator.address },
      { event: 'admin_action', action: 'user.unlock', userId: id, caller: 'cli', client: 'cli' },
    ]);
    expect((await auth.getUser({ id })).claims).toEqual({ role: 'editor' });
    await expectAuthError(auth.updateUser({ id }, { claims: { sub: 'x' } }, operator), 'invalid_input');
  });

  it('records a disable or enable that found the user already so as the action asked, changing nothing', async () => {
    const { auth, audited } = await setUp();
    const { id } = await auth.createUser('gil@x.io', 'pw', operator);
    await auth.updateUser({ id }, { disabled: false }, operator);
    await auth.updateUser({ id }, { disabled: true }, operator);
    await auth.updateUser({ id }, { disabled: true }, operator);
    await auth.updateUser({ id }, { disabled: true, email: 'gil@x.io' }, operator);
    await auth.updateUser({ id }, {}, operator);
    // Something else changed: an update, as before; the same claims again change nothing.
    await auth.updateUser({ id }, { disabled: true, claims: { role: 'x', level: { n: 1, m: 2 } } }, operator);
    await auth.updateUser({ id }, { claims: { level: { m: 2, n: 1 }, role: 'x' } }, operator);
    const origin = { userId: id, endedSessions: 0, caller: 'token', client: operator.address };
    expect(audited.filter((event) => event.event === 'admin_action').slice(1)).toEqual([
      { event: 'admin_action', action: 'user.enable', ...origin, changed: false },
      { event: 'admin_action', action: 'user.disable', ...origin },
      { event: 'admin_action', action: 'user.disable', ...origin, changed: false },
      { event: 'admin_action', action: 'user.disable', ...origin, changed: false },
      { event: 'admin_action', action: 'user.update', ...origin, changed: false },
      { event: 'admin_action', action: 'user.update', ...origin },
      { event: 'admin_action', action: 'user.update', ...origin, changed: false },
    ]);
  });

  it('keeps its updated_at through a call that changed nothing', async () => {
    const { auth, clock } = await setUp();
    const { id } = await auth.createUser('hal@x.io', 'pw', operator);
    clock.advanceSeconds(60);
    const disabled = await auth.updateUser({ id }, { disabled: true, claims: { role: 'x' } }, operator);
    expect(disabled.updatedAt).toEqual(clock.now());
    clock.advanceSeconds(60);
    for (const update of [{}, { disabled: true }, { claims: { role: 'x' } }, { email: 'hal@x.io', disabled: true }]) {
      expect((await auth.updateUser({ id }, update, operator)).updatedAt).toEqual(disabled.updatedAt);
    }
    await auth.deleteUser({ id }, operator);
    await expectAuthError(auth.updateUser({ id }, {}, operator), 'user_not_found');
  });
});

describe('a disabled user', () => {
  it('loses every session and token at once, and cannot sign in again until enabled', async () => {
    const { auth, audited } = await setUp();
    const { id } = await auth.createUser('gus@x.io', 'pw', operator);
    const { sessionToken } = await auth.logIn('gus@x.io', 'pw', null, client);
    const { accessToken, refreshToken } = await auth.grantTokens('gus@x.io', 'pw', client);

    const view = await auth.updateUser({ id }, { disabled: true }, operator);
    expect(view.disabled).toBe(true);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
    expect(await auth.validateAccessToken(accessToken)).toBeNull();
    expect(await auth.introspectToken(accessToken)).toEqual({ active: false });
    await expectAuthError(auth.refreshTokens(refreshToken, client), 'invalid_grant');
    // The right password answers as a wrong one does.
    await expectAuthError(auth.logIn('gus@x.io', 'pw', null, client), 'invalid_credentials');
    await expectAuthError(auth.grantTokens('gus@x.io', 'pw', client), 'invalid_credentials');
    expect(audited.filter((event) => event.event === 'login_failed').map((event) => ('reason' in event ? event.reason : null))).toEqual([
      'disabled',
      'disabled',
    ]);
    expect(audited).toContainEqual(expect.objectContaining({ event: 'admin_action', action: 'user.disable', endedSessions: 2 }));

    await auth.updateUser({ id }, { disabled: false }, operator);
    const again = await auth.logIn('gus@x.io', 'pw', null, client);
    expect(await auth.validateSessionToken(again.sessionToken)).not.toBeNull();
  });
});

describe('an email change', () => {
  it('ends every session, and the user signs in with the new email', async () => {
    const { auth } = await setUp();
    const { id } = await auth.createUser('hal@x.io', 'pw', operator);
    await auth.createUser('taken@x.io', 'pw', operator);
    const { sessionToken } = await auth.logIn('hal@x.io', 'pw', null, client);
    await expectAuthError(auth.updateUser({ id }, { email: 'TAKEN@x.io' }, operator), 'email_taken');
    expect(await auth.validateSessionToken(sessionToken)).not.toBeNull();

    expect((await auth.updateUser({ id }, { email: 'hal@y.io' }, operator)).email).toBe('hal@y.io');
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
    await expectAuthError(auth.logIn('hal@x.io', 'pw', null, client), 'invalid_credentials');
    await auth.logIn('hal@y.io', 'pw', null, client);
  });
});

describe('an operator-set password', () => {
  it('follows the password rules, ends every session and replaces the old password', async () => {
    const { auth } = await setUp({ auth: { password: { minLength: 4 } } });
    const { id } = await auth.createUser('ida@x.io', 'pw-1', operator);
    const { sessionToken } = await auth.logIn('ida@x.io', 'pw-1', null, client);
    await expectAuthError(auth.setPassword({ id }, 'pw', operator), 'invalid_input');
    await auth.setPassword({ email: 'ida@x.io' }, 'pw-2', operator);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
    await expectAuthError(auth.logIn('ida@x.io', 'pw-1', null, client), 'invalid_credentials');
    await auth.logIn('ida@x.io', 'pw-2', null, client);
  });
});

describe('deleting a user', () => {
  it('removes the user and every session, and tells the webhook receiver', async () => {
    const webhook = { url: 'https://hooks.example/sesame', secret: Buffer.alloc(32, 5) };
    const { auth, store, clock } = await setUp({ webhook });
    const { id } = await auth.createUser('jo@x.io', 'pw', operator);
    const { sessionToken } = await auth.logIn('jo@x.io', 'pw', null, client);
    const { refreshToken } = await auth.grantTokens('jo@x.io', 'pw', client);

    await auth.deleteUser({ id }, operator);
    expect(await auth.validateSessionToken(sessionToken)).toBeNull();
    await expectAuthError(auth.refreshTokens(refreshToken, client), 'invalid_grant');
    await expectAuthError(auth.getUser({ id }), 'user_not_found');
    await expectAuthError(auth.deleteUser({ id }, operator), 'user_not_found');
    expect(await store.listSessionDetails(id)).toEqual([]);
    // The email is free again.
    await auth.register('jo@x.io', 'pw2', client);

    const sent: unknown[] = [];
    const transport = { send: (delivery: WebhookDelivery) => (sent.push(JSON.parse(delivery.body)), Promise.resolve()) };
    await createOutboxRelay({ store, clock, transport, key: outboxSealingKey(webhook.secret) }).deliverDue();
    expect(sent).toContainEqual(expect.objectContaining({ type: 'user.deleted', data: { user_id: id, email: 'jo@x.io' } }));
  });
});

describe("a user's sessions", () => {
  it('are listed live, newest first, with where they were started from', async () => {
    const { auth, clock, config } = await setUp();
    const { id } = await auth.createUser('kim@x.io', 'pw', operator);
    await auth.logIn('kim@x.io', 'pw', null, { address: '192.0.2.1', userAgent: 'x'.repeat(300) });
    clock.advanceSeconds(1);
    const { accessToken } = await auth.grantTokens('kim@x.io', 'pw', client);
    const principal = (await auth.validateAccessToken(accessToken))!;

    const sessions = await auth.listSessions({ id });
    expect(sessions.map((session) => [session.kind, session.clientAddress])).toEqual([
      ['token', client.address],
      ['cookie', '192.0.2.1'],
    ]);
    expect(sessions[0]).toMatchObject({ id: principal.sessionId, userAgent: client.userAgent, createdAt: clock.now(), lastSeenAt: clock.now() });
    expect(sessions[1]!.userAgent).toBe('x'.repeat(256));
    expect(sessions[0]!.expiresAt).toEqual(new Date(clock.now().getTime() + config.auth.sessionIdleTimeoutSeconds * 1000));

    clock.advanceSeconds(config.auth.sessionIdleTimeoutSeconds + 1);
    expect(await auth.listSessions({ id })).toEqual([]);
  });

  it('end one at a time or all at once, and another user’s session id is unknown', async () => {
    const { auth } = await setUp();
    const { id } = await auth.createUser('lou@x.io', 'pw', operator);
    const { id: otherId } = await auth.createUser('max@x.io', 'pw', operator);
    const first = await auth.grantTokens('lou@x.io', 'pw', client);
    const second = await auth.grantTokens('lou@x.io', 'pw', client);
    const { accessToken: othersToken } = await auth.grantTokens('max@x.io', 'pw', client);
    const firstSession = (await auth.validateAccessToken(first.accessToken))!.sessionId;
    const othersSession = (await auth.validateAccessToken(othersToken))!.sessionId;

    await expectAuthError(auth.endSession({ id }, othersSession, operator), 'session_not_found');
    await auth.endSession({ id }, firstSession, operator);
    expect(await auth.validateAccessToken(first.accessToken)).toBeNull();
    await expectAuthError(auth.endSession({ id }, firstSession, operator), 'session_not_found');
    expect(await auth.endSessions({ id }, operator)).toBe(1);
    expect(await auth.validateAccessToken(second.accessToken)).toBeNull();
    expect(await auth.validateAccessToken(othersToken)).not.toBeNull();
    expect(await auth.endSessions({ id: otherId }, operator)).toBe(1);
  });
});

describe('a locked account', () => {
  it('is shown locked, listed as such, and signs in again once unlocked', async () => {
    const { auth } = await setUp({ auth: { limits: { accountFailures: 3, accountFreeFailures: 3 } } });
    const { id } = await auth.createUser('ned@x.io', 'pw', operator);
    await auth.createUser('ole@x.io', 'pw', operator);
    for (let attempt = 0; attempt < 3; attempt += 1) await expectAuthError(auth.logIn('ned@x.io', 'wrong', null, client), 'invalid_credentials');
    await expectAuthError(auth.logIn('ned@x.io', 'pw', null, client), 'rate_limited');
    expect((await auth.getUser({ id })).locked).toBe(true);
    expect((await walk({ limit: 1, state: 'locked' })).users.map((user) => user.id)).toEqual([id]);
    expect((await walk({ limit: 1, state: 'active' })).users.map((user) => user.email)).toEqual(['ole@x.io']);

    await auth.unlock({ email: 'ned@x.io' }, operator);
    expect((await auth.getUser({ id })).locked).toBe(false);
    await auth.logIn('ned@x.io', 'pw', null, client);
  });
});

describe("the user's own sessions", () => {
  it('are listed with the current one marked, and one can be ended, but not another user’s', async () => {
    const { auth } = await setUp();
    await auth.register('pat@x.io', 'pw', client);
    await auth.register('quin@x.io', 'pw', client);
    const { sessionToken } = await auth.logIn('pat@x.io', 'pw', null, client);
    const tokens = await auth.grantTokens('pat@x.io', 'pw', client);
    const { accessToken: othersToken } = await auth.grantTokens('quin@x.io', 'pw', client);
    const principal = (await auth.validateSessionToken(sessionToken))!;
    const tokenSession = (await auth.validateAccessToken(tokens.accessToken))!.sessionId;
    const othersSession = (await auth.validateAccessToken(othersToken))!.sessionId;

    const own = await auth.listOwnSessions(principal);
    expect(own.map((session) => [session.id, session.current]).sort()).toEqual(
      [
        [principal.sessionId, true],
        [tokenSession, false],
      ].sort(),
    );
    await expectAuthError(auth.endOwnSession(principal, othersSession, client), 'session_not_found');
    expect(await auth.validateAccessToken(othersToken)).not.toBeNull();
    await auth.endOwnSession(principal, tokenSession, client);
    expect(await auth.validateAccessToken(tokens.accessToken)).toBeNull();
    expect((await auth.listOwnSessions(principal)).map((session) => session.id)).toEqual([principal.sessionId]);
    expect(h.audited).toContainEqual({ event: 'session_ended', userId: principal.userId, sessionId: tokenSession, bySessionId: principal.sessionId, client: client.address });
  });
});
