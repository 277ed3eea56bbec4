import { createHmac } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { createHarness, type Harness } from '../../test/support/harness.js';
import { testConfig, type ConfigOverrides } from '../../test/support/test-config.js';
import type { Attempt, AttemptCounters, AttemptRecord } from './attempt-counters.js';
import { createAttemptLimits, networkOf, type AttemptLimits } from './attempt-limits.js';
import { createAuth } from './auth.js';
import { LocalAttemptCounters } from '../store/cache/local-counters.js';
import { CacheUnavailableError } from './cache.js';
import { AuthError } from './errors.js';
import { generateSecret } from './secrets.js';

let harness: Harness;
afterEach(async () => harness.close());

const home = { address: '198.51.100.1' };
const attacker = (index: number) => ({ address: `203.0.113.${index}` });
// Loose limits but the one a test looks at.
const loose = { accountClientFailures: 100, clientFailures: 1000, accountFreeFailures: 100, accountFailures: 100, resetRequests: 1000 };

async function setUp(limits: NonNullable<NonNullable<ConfigOverrides['auth']>['limits']>): Promise<Harness> {
  harness = await createHarness(testConfig({ auth: { limits: { ...loose, ...limits } } }));
  await harness.auth.register('a@x.io', 'right', home);
  return harness;
}

/** The outcome of one log-in: 'ok', the error code, and the retry time of a refusal. */
async function logIn(h: Harness, password: string, client = home, email = 'a@x.io'): Promise<string> {
  try {
    await h.auth.logIn(email, password, null, client);
    return 'ok';
  } catch (error) {
    const { code, retryAfterSeconds } = error as { code: string; retryAfterSeconds?: number };
    return retryAfterSeconds === undefined ? code : `${code} ${retryAfterSeconds}`;
  }
}

/** The outcome of a use case: 'ok', or the error code and the retry time of a refusal. */
function outcomeOf(attempt: Promise<unknown>): Promise<string> {
  return attempt.then(
    () => 'ok',
    (error: { code: string; retryAfterSeconds?: number }) => (error.retryAfterSeconds === undefined ? error.code : `${error.code} ${error.retryAfterSeconds}`),
  );
}

async function repeat(times: number, attempt: () => Promise<string>): Promise<string[]> {
  const outcomes: string[] = [];
  for (let index = 0; index < times; index += 1) outcomes.push(await attempt());
  return outcomes;
}

describe('failures per account and client', () => {
  it('refuses the 11th check in the window, the right password too, until the window ends; other clients go on', async () => {
    const h = await setUp({ accountClientFailures: 10, windowSeconds: 900 });
    expect(await repeat(10, () => logIn(h, 'wrong'))).toEqual(Array(10).fill('invalid_credentials'));
    expect(await logIn(h, 'right')).toBe('rate_limited 900');
    expect(await logIn(h, 'right', attacker(1))).toBe('ok');
    h.clock.advanceSeconds(899);
    expect(await logIn(h, 'right')).toBe('rate_limited 1');
    h.clock.advanceSeconds(1);
    expect(await logIn(h, 'right')).toBe('ok');
  });

  it('limits an unknown email exactly like a registered one', async () => {
    const h = await setUp({ accountClientFailures: 3 });
    const known = await repeat(5, () => logIn(h, 'wrong', home, 'a@x.io'));
    const unknown = await repeat(5, () => logIn(h, 'wrong', home, 'nobody@x.io'));
    expect(unknown).toEqual(known);
    expect(known).toEqual(['invalid_credentials', 'invalid_credentials', 'invalid_credentials', 'rate_limited 900', 'rate_limited 900']);
  });

  it('counts the addresses of one IPv6 /64 as one client', () => {
    expect(networkOf('2001:db8:1:2:aaaa::1')).toBe(networkOf('2001:0db8:0001:0002:ffff:1:2:3'));
    expect(networkOf('2001:db8:1:3::1')).not.toBe(networkOf('2001:db8:1:2::1'));
    expect(networkOf('::ffff:192.0.2.1')).toBe('192.0.2.1');
    expect(networkOf('192.0.2.1')).toBe('192.0.2.1');
  });
});

describe('consecutive failures per account, across clients', () => {
  it('makes each check past the free ones wait, doubling up to the cap, from any client', async () => {
    const h = await setUp({ accountFreeFailures: 3, accountMaxDelaySeconds: 4 });
    for (let index = 0; index < 3; index += 1) expect(await logIn(h, 'wrong', attacker(index))).toBe('invalid_credentials');
    // The owner, elsewhere, waits too: but only seconds, never a lock-out.
    expect(await logIn(h, 'right', home)).toBe('rate_limited 1');
    const waits: string[] = [];
    for (let index = 0; index < 4; index += 1) {
      const refused = await logIn(h, 'wrong', attacker(10 + index));
      waits.push(refused);
      h.clock.advanceSeconds(Number(refused.split(' ')[1]));
      expect(await logIn(h, 'wrong', attacker(20 + index))).toBe('invalid_credentials');
    }
    expect(waits).toEqual(['rate_limited 1', 'rate_limited 2', 'rate_limited 4', 'rate_limited 4']);
  });

  it('never delays a client that has logged in before, but holds it to the hard limit', async () => {
    const h = await setUp({ accountFreeFailures: 3, accountFailures: 8 });
    expect(await logIn(h, 'right', home)).toBe('ok');
    for (let index = 0; index < 3; index += 1) await logIn(h, 'wrong', attacker(index));
    expect(await logIn(h, 'wrong', attacker(9))).toBe('rate_limited 1');
    // The owner, at an address that logged in before, is not kept out by strangers' failures.
    expect(await logIn(h, 'right', home)).toBe('ok');
    for (let index = 0; index < 8; index += 1) expect(await logIn(h, 'wrong', home)).toBe('invalid_credentials');
    expect(await logIn(h, 'right', home)).toBe('rate_limited 86400');
  });

  it('forgives earlier failures after a successful check', async () => {
    const h = await setUp({ accountFreeFailures: 3 });
    await repeat(2, () => logIn(h, 'wrong', attacker(1)));
    expect(await logIn(h, 'right')).toBe('ok');
    expect(await repeat(3, () => logIn(h, 'wrong', attacker(2)))).toEqual(Array(3).fill('invalid_credentials'));
  });

  it('stops at the hard limit until a reset, which the limits never block', async () => {
    const h = await setUp({ accountFreeFailures: 5, accountFailures: 5, accountMemorySeconds: 86_400 });
    await repeat(5, () => logIn(h, 'wrong', attacker(1)));
    expect(await logIn(h, 'right')).toBe('rate_limited 86400');
    h.clock.advanceSeconds(3600);
    expect(await logIn(h, 'right')).toBe('rate_limited 82800');
    const resetToken = (await h.auth.requestPasswordReset('a@x.io', home)).resetToken!;
    await h.auth.resetPassword('a@x.io', resetToken, 'fresh', home);
    expect(await logIn(h, 'fresh')).toBe('ok');
  });
});

describe('failures per client, across accounts', () => {
  it('stops a client spraying one password over many accounts, for any further account', async () => {
    const h = await setUp({ clientFailures: 20 });
    const sprayed = await repeat(20, async () => logIn(h, 'Summer2026!', attacker(1), `user${Math.random()}@x.io`));
    expect(sprayed).toEqual(Array(20).fill('invalid_credentials'));
    expect(await logIn(h, 'right', attacker(1))).toBe('rate_limited 900');
    expect(await logIn(h, 'right', home)).toBe('ok');
  });

  it('gives a successful check its attempt back', async () => {
    const h = await setUp({ clientFailures: 3 });
    expect(await repeat(5, () => logIn(h, 'right'))).toEqual(Array(5).fill('ok'));
    expect(await repeat(3, () => logIn(h, 'wrong', home, 'b@x.io'))).toEqual(Array(3).fill('invalid_credentials'));
  });
});

describe('every path that checks a password', () => {
  it('counts wrong current passwords at PUT /password and wrong passwords at /token on the same counters', async () => {
    const h = await setUp({ accountClientFailures: 3 });
    const { sessionToken } = await h.auth.logIn('a@x.io', 'right', null, home);
    const principal = (await h.auth.validateSessionToken(sessionToken))!;
    await expect(h.auth.changePassword(principal, 'wrong', 'new', home)).rejects.toMatchObject({ code: 'invalid_credentials' });
    await expect(h.auth.grantTokens('a@x.io', 'wrong', home)).rejects.toMatchObject({ code: 'invalid_credentials' });
    expect(await logIn(h, 'wrong')).toBe('invalid_credentials');
    await expect(h.auth.changePassword(principal, 'right', 'new', home)).rejects.toMatchObject({ code: 'rate_limited' });
    await expect(h.auth.grantTokens('a@x.io', 'right', home)).rejects.toMatchObject({ code: 'rate_limited' });
  });
});

describe('reset requests', () => {
  it('answers requests back to back up to the limit per account and client, then refuses until the window ends', async () => {
    const h = await setUp({ resetRequests: 3, windowSeconds: 600 });
    for (let index = 0; index < 3; index += 1) await h.auth.requestPasswordReset('a@x.io', attacker(1));
    await expect(h.auth.requestPasswordReset('a@x.io', attacker(1))).rejects.toMatchObject({ code: 'rate_limited', retryAfterSeconds: 600 });
    await expect(h.auth.requestPasswordReset('nobody@x.io', attacker(1))).rejects.toMatchObject({ code: 'email_not_registered' });
    // Requests from elsewhere cannot use up the owner's.
    await h.auth.requestPasswordReset('a@x.io', home);
    h.clock.advanceSeconds(600);
    await h.auth.requestPasswordReset('a@x.io', attacker(1));
  });

  it('limits requests per client across accounts', async () => {
    const h = await setUp({ clientResetRequests: 3 });
    for (let index = 0; index < 3; index += 1) {
      await expect(h.auth.requestPasswordReset(`nobody${index}@x.io`, attacker(1))).rejects.toMatchObject({ code: 'email_not_registered' });
    }
    await expect(h.auth.requestPasswordReset('a@x.io', attacker(1))).rejects.toMatchObject({ code: 'rate_limited' });
    await h.auth.requestPasswordReset('a@x.io', home);
  });

  it('clears, at a reset, the failures counted for every client, not only the one that reset', async () => {
    const h = await setUp({ accountClientFailures: 2 });
    await repeat(2, () => logIn(h, 'wrong', attacker(1)));
    expect(await logIn(h, 'right', attacker(1))).toBe('rate_limited 900');
    const resetToken = (await h.auth.requestPasswordReset('a@x.io', home)).resetToken!;
    await h.auth.resetPassword('a@x.io', resetToken, 'fresh', home);
    h.clock.advanceSeconds(1);
    expect(await logIn(h, 'fresh', attacker(1))).toBe('ok');
    // Failures after the reset count again.
    await repeat(2, () => logIn(h, 'wrong', attacker(1)));
    expect(await logIn(h, 'fresh', attacker(1))).toBe('rate_limited 900');
  });

  it('lets a reset through, and clears the failures, while log-ins are refused', async () => {
    const h = await setUp({ accountClientFailures: 2, accountFreeFailures: 2 });
    await repeat(2, () => logIn(h, 'wrong'));
    expect(await logIn(h, 'right')).toMatch(/^rate_limited/);
    const resetToken = (await h.auth.requestPasswordReset('a@x.io', home)).resetToken!;
    await h.auth.resetPassword('a@x.io', resetToken, 'fresh', home);
    h.clock.advanceSeconds(1);
    expect(await repeat(2, () => logIn(h, 'wrong'))).toEqual(['invalid_credentials', 'invalid_credentials']);
  });
});

describe('registrations per client', () => {
  it('refuses registrations from one address past the limit, whatever their outcome, until the window ends; others go on', async () => {
    const h = await setUp({ clientRegistrations: 3, windowSeconds: 600 });
    const register = (email: string, client = attacker(1)) => outcomeOf(h.auth.register(email, 'pw', client));
    expect([await register('b@x.io'), await register('a@x.io'), await register('c@x.io')]).toEqual(['ok', 'email_taken', 'ok']);
    expect(await register('d@x.io')).toBe('rate_limited 600');
    expect(await register('d@x.io', attacker(2))).toBe('ok');
    h.clock.advanceSeconds(600);
    expect(await register('e@x.io')).toBe('ok');
    expect(h.audited.filter(({ event }) => event === 'limit_hit')).toEqual([
      { event: 'limit_hit', account: null, limits: ['register_client'], retryAfterSeconds: 600, client: attacker(1).address },
    ]);
  });
});

describe('bad refresh tokens per client', () => {
  it('counts only bad ones, per address: the forger is refused, even with a good token; the owner elsewhere goes on', async () => {
    const h = await setUp({ clientRefreshFailures: 3, windowSeconds: 600 });
    let owned = (await h.auth.grantTokens('a@x.io', 'right', home)).refreshToken;
    const refresh = async (token: string, client: { address: string }) => outcomeOf(h.auth.refreshTokens(token, client).then((pair) => (owned = pair.refreshToken)));
    // Good tokens never add up.
    expect(await repeat(5, () => refresh(owned, attacker(1)))).toEqual(Array(5).fill('ok'));
    const forged = () => `${owned.split('.')[0]!}.${generateSecret()}`;
    expect(await repeat(3, () => refresh(forged(), attacker(1)))).toEqual(Array(3).fill('invalid_grant'));
    expect(await refresh('not a refresh token', attacker(1))).toBe('rate_limited 600');
    expect(await refresh(owned, attacker(1))).toBe('rate_limited 600');
    expect(await refresh(owned, home)).toBe('ok');
    h.clock.advanceSeconds(600);
    expect(await refresh(owned, attacker(1))).toBe('ok');
    expect(h.audited.filter(({ event }) => event === 'limit_hit')).toEqual([
      { event: 'limit_hit', account: null, limits: ['refresh_client'], retryAfterSeconds: 600, client: attacker(1).address },
    ]);
  });
});

describe('bad reset tokens per client', () => {
  it('counts only bad ones, per address: the guesser is refused, even with the right token; the owner elsewhere resets', async () => {
    const h = await setUp({ clientResetTokenFailures: 3, windowSeconds: 600 });
    const resetToken = (await h.auth.requestPasswordReset('a@x.io', home)).resetToken!;
    const reset = (token: string, client: { address: string }, email = 'a@x.io') => outcomeOf(h.auth.resetPassword(email, token, 'fresh', client));
    const guesses = [await reset(generateSecret(), attacker(1)), await reset('', attacker(1)), await reset(resetToken, attacker(1), 'b@x.io')];
    expect(guesses).toEqual(Array(3).fill('invalid_reset_token'));
    expect(await reset(resetToken, attacker(1))).toBe('rate_limited 600');
    expect(await reset(resetToken, home)).toBe('ok');
    expect(await logIn(h, 'fresh')).toBe('ok');
    // A good token gives its attempt back: an owner's own resets never add up.
    for (let index = 0; index < 3; index += 1) {
      const next = (await h.auth.requestPasswordReset('a@x.io', home)).resetToken!;
      expect(await reset(next, home)).toBe('ok');
    }
    expect(await repeat(3, () => reset(generateSecret(), home))).toEqual(Array(3).fill('invalid_reset_token'));
  });
});

describe('checks that could not be made', () => {
  it('are not held against the account or the client', async () => {
    const h = await setUp({ accountClientFailures: 2 });
    const busy = createAuth({
      ...h.deps,
      hasher: { ...h.hasher, verify: () => Promise.reject(new AuthError('overloaded', 'busy', 1)) },
    });
    for (let index = 0; index < 5; index += 1) await expect(busy.logIn('a@x.io', 'right', null, home)).rejects.toMatchObject({ code: 'overloaded' });
    expect(await repeat(2, () => logIn(h, 'wrong'))).toEqual(['invalid_credentials', 'invalid_credentials']);
  });
});

describe('shared counters', () => {
  it('fall back to counting in this process while they are unreachable: limits weaken, never open', async () => {
    const h = await setUp({ accountClientFailures: 2 });
    const down = () => Promise.reject(new CacheUnavailableError('down'));
    const unreachable: AttemptCounters = { take: down, giveBack: down, clear: down, read: down, mark: down, readMarks: down };
    const auth = createAuth({ ...h.deps, counters: { shared: unreachable, local: new LocalAttemptCounters(1000) } });
    const attempt = () => auth.logIn('a@x.io', 'wrong', null, home).then(() => 'ok', (error: { code: string }) => error.code);
    expect(await repeat(3, attempt)).toEqual(['invalid_credentials', 'invalid_credentials', 'rate_limited']);
    expect(await auth.logIn('a@x.io', 'right', null, attacker(1))).toHaveProperty('sessionToken');
  });
});

/** Counters that stand in for Redis: they count as Redis would, and refuse every call while `isDown`. */
class SharedStandIn implements AttemptCounters {
  isDown = false;
  readonly #counters = new LocalAttemptCounters(1000);

  take(attempts: readonly Attempt[], nowMs: number): Promise<readonly number[] | null> {
    return this.#reached().then((counters) => counters.take(attempts, nowMs));
  }
  giveBack(keys: readonly string[]): Promise<void> {
    return this.#reached().then((counters) => counters.giveBack(keys));
  }
  clear(keys: readonly string[]): Promise<void> {
    return this.#reached().then((counters) => counters.clear(keys));
  }
  read(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<AttemptRecord | null>> {
    return this.#reached().then((counters) => counters.read(keys, nowMs));
  }
  mark(key: string, valueMs: number, ttlMs: number, nowMs: number): Promise<void> {
    return this.#reached().then((counters) => counters.mark(key, valueMs, ttlMs, nowMs));
  }
  readMarks(keys: readonly string[], nowMs: number): Promise<ReadonlyArray<number | null>> {
    return this.#reached().then((counters) => counters.readMarks(keys, nowMs));
  }
  #reached(): Promise<AttemptCounters> {
    return this.isDown ? Promise.reject(new CacheUnavailableError('down')) : Promise.resolve(this.#counters);
  }
}

/**
 * The limits `h.auth` applies, over the same counters, for the operator's calls that the use
 * cases do not expose; the test checks it names accounts as `h.auth` does.
 */
function limitsOf(h: Harness): AttemptLimits {
  return createAttemptLimits({
    ...h.deps.counters,
    clock: h.clock,
    audit: () => undefined,
    secret: createHmac('sha256', h.keys.refreshKey()).update('sesame attempt-limit account digest').digest(),
    config: h.config.auth.limits,
  });
}

describe('an operator\'s unlock', () => {
  const locking = { accountFreeFailures: 5, accountFailures: 5, accountClientFailures: 5, accountMemorySeconds: 86_400 };

  it('reports an account locked at its failure limit, and unlocking it lets the right password in at once', async () => {
    const h = await setUp(locking);
    const limits = limitsOf(h);
    expect(await repeat(5, () => logIn(h, 'wrong'))).toEqual(Array(5).fill('invalid_credentials'));
    expect(h.audited).toContainEqual(expect.objectContaining({ event: 'login_failed', account: limits.accountOf('a@x.io') }));
    await repeat(4, () => logIn(h, 'wrong', attacker(1), 'b@x.io'));
    expect(await limits.lockedAccounts(['a@x.io', 'b@x.io', 'c@x.io'])).toEqual([true, false, false]);
    // Locked for everyone, the owner's own address (and its per-address count) included.
    expect(await logIn(h, 'right')).toBe('rate_limited 86400');
    expect(await logIn(h, 'right', attacker(2))).toBe('rate_limited 86400');

    await limits.unlock('a@x.io');
    expect(await limits.lockedAccounts(['a@x.io', 'b@x.io'])).toEqual([false, false]);
    expect(await logIn(h, 'right')).toBe('ok');
    expect(await limits.lockedAccounts([])).toEqual([]);
  });

  it('leaves the failures counted after it to count again', async () => {
    const h = await setUp(locking);
    const limits = limitsOf(h);
    await repeat(5, () => logIn(h, 'wrong'));
    await limits.unlock('a@x.io');
    h.clock.advanceSeconds(1);
    expect(await repeat(5, () => logIn(h, 'wrong'))).toEqual(Array(5).fill('invalid_credentials'));
    expect(await limits.lockedAccounts(['a@x.io'])).toEqual([true]);
    expect(await logIn(h, 'right')).toBe('rate_limited 86400');
  });

  it('clears the shared counters and this process\'s, which judge again when Redis goes away', async () => {
    const shared = new SharedStandIn();
    harness = await createHarness(testConfig({ auth: { limits: { ...loose, ...locking } } }), undefined, shared);
    const h = harness;
    await h.auth.register('a@x.io', 'right', home);
    const limits = limitsOf(h);
    // Counted here while Redis was away, then in Redis once it is back.
    shared.isDown = true;
    await repeat(5, () => logIn(h, 'wrong'));
    shared.isDown = false;
    await repeat(5, () => logIn(h, 'wrong', attacker(1)));
    expect(await limits.lockedAccounts(['a@x.io'])).toEqual([true]);
    expect(await logIn(h, 'right', attacker(2))).toBe('rate_limited 86400');

    await limits.unlock('a@x.io');
    expect(await limits.lockedAccounts(['a@x.io'])).toEqual([false]);
    expect(await logIn(h, 'right', attacker(2))).toBe('ok');
    // Redis away again: this process's own counters, which the unlock cleared too, let the owner in.
    shared.isDown = true;
    expect(await limits.lockedAccounts(['a@x.io'])).toEqual([false]);
    expect(await logIn(h, 'right')).toBe('ok');
  });

  it('clears this process\'s counters while Redis is away, but does not claim to have unlocked', async () => {
    const shared = new SharedStandIn();
    harness = await createHarness(testConfig({ auth: { limits: { ...loose, ...locking } } }), undefined, shared);
    const h = harness;
    await h.auth.register('a@x.io', 'right', home);
    const limits = limitsOf(h);
    shared.isDown = true;
    await repeat(5, () => logIn(h, 'wrong'));
    expect(await limits.lockedAccounts(['a@x.io'])).toEqual([true]);

    await expect(limits.unlock('a@x.io')).rejects.toBeInstanceOf(CacheUnavailableError);
    expect(await limits.lockedAccounts(['a@x.io'])).toEqual([false]);
    expect(await logIn(h, 'right')).toBe('ok');
  });
});

describe('the audit log', () => {
  it('records a failure, a refusal, a success, a log-out, a password change and a reset, with no secret', async () => {
    const h = await setUp({ accountClientFailures: 1 });
    await logIn(h, 'wrong');
    await logIn(h, 'wrong');
    // Refused again within the same period: no second line for the same refusal.
    await logIn(h, 'wrong');
    await logIn(h, 'wrong', home, 'nobody@x.io');
    const { sessionToken } = await h.auth.logIn('a@x.io', 'right', null, attacker(1));
    const principal = (await h.auth.validateSessionToken(sessionToken))!;
    await h.auth.changePassword(principal, 'right', 'changed', attacker(1));
    await h.auth.logOut(principal, attacker(1));
    const resetToken = (await h.auth.requestPasswordReset('a@x.io', home)).resetToken!;
    await h.auth.resetPassword('a@x.io', resetToken, 'reset', home);
    const userId = principal.userId;
    const account = expect.any(String) as unknown as string;
    expect(h.audited).toEqual([
      { event: 'login_failed', account, userId, via: 'cookie', client: home.address },
      { event: 'limit_hit', account, limits: ['account_client'], retryAfterSeconds: 900, client: home.address },
      { event: 'login_failed', account, userId: null, via: 'cookie', client: home.address },
      { event: 'login_succeeded', userId, sessionId: principal.sessionId, via: 'cookie', client: attacker(1).address },
      { event: 'password_changed', userId, sessionId: principal.sessionId, endedSessions: 0, client: attacker(1).address },
      { event: 'logged_out', userId, sessionId: principal.sessionId, client: attacker(1).address },
      { event: 'reset_requested', account, userId, client: home.address },
      { event: 'password_reset', userId, endedSessions: 0, client: home.address },
    ]);
    const text = JSON.stringify(h.audited);
    for (const secret of ['a@x.io', 'nobody@x.io', sessionToken, resetToken]) expect(text).not.toContain(secret);
    for (const password of ['right', 'wrong', 'changed', 'reset']) expect(text).not.toContain(`"${password}"`);
  });

  it('records token revocation and refresh-token reuse', async () => {
    const h = await setUp({});
    const first = await h.auth.grantTokens('a@x.io', 'right', home);
    await h.auth.refreshTokens(first.refreshToken, home);
    h.clock.advanceSeconds(60);
    await expect(h.auth.refreshTokens(first.refreshToken, attacker(1))).rejects.toMatchObject({ code: 'invalid_grant' });
    const second = await h.auth.grantTokens('a@x.io', 'right', home);
    await h.auth.revokeToken(second.refreshToken, home);
    await h.auth.revokeToken(second.refreshToken, home);
    expect(h.audited.map(({ event, client }) => `${event} ${client}`)).toEqual([
      `login_succeeded ${home.address}`,
      `refresh_reused ${attacker(1).address}`,
      `login_succeeded ${home.address}`,
      `token_revoked ${home.address}`,
    ]);
  });
});
