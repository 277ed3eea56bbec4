import { createAccessTokenVerifier, diagnoseAccessToken, signAccessToken, type AccessTokenClaims } from './access-tokens.js';
import { auditOrigin, type Client } from './audit.js';
import { CacheUnavailableError } from './cache.js';
import { checkCredentials, invalidCredentials, type CredentialDeps, type LoginOptions } from './credentials.js';
import type { CoreDeps, Principal } from './deps.js';
import { AuthError } from './errors.js';
import { deriveChildSecret, formatRefreshToken, isUsedAncestor, parseRefreshToken } from './refresh-tokens.js';
import { hashSecret, isSameSecret } from './secrets.js';
import { isSessionInUse } from './session-checks.js';
import { isSessionLive, newTokenSession, originOf } from './sessions.js';
import type { Session, SessionWithEmail, UserClaims } from './store.js';

export interface TokenPair {
  /** A signed JWT (RFC 9068). */
  readonly accessToken: string;
  /** Opaque; rotated at every use. */
  readonly refreshToken: string;
  /** Lifetime of the access token. */
  readonly expiresInSeconds: number;
}

/**
 * What an access token turned out to be, for API families whose contracts answer each case in
 * its own words: `valid` (its session live), `revoked` (well signed and unexpired, but its
 * session has ended), `expired` (well signed), `bad_signature` (one of our keys, a signature
 * that does not match), `invalid` (anything else).
 */
export type AccessTokenCheck =
  | { readonly verdict: 'valid'; readonly principal: Principal; readonly claims: AccessTokenClaims }
  | { readonly verdict: 'revoked' | 'expired' | 'bad_signature' | 'invalid' };

/** RFC 7662: `active` and, when active, what the token says. */
export type Introspection = { readonly active: false } | ({ readonly active: true } & Readonly<Record<string, unknown>>);

/** The token API's use cases (DESIGN.md §3): grants, the access-token check, revocation, introspection. */
export interface Tokens {
  /**
   * The password grant: checks the credentials like `logIn` and starts a token session,
   * leaving every other session alone. The access token says `fresh: true`.
   */
  grantTokens(email: string, password: string, client: Client, options?: LoginOptions): Promise<TokenPair>;

  /**
   * The refresh grant. The current refresh token is exchanged for its child exactly once
   * (compare-and-set); its parent presented again within the grace window gets that same child
   * with a new access token; any older token of the session ends the session (ASVS 10.4.5).
   * Throws `invalid_grant` for anything else, and `rate_limited` when the client presented too
   * many bad refresh tokens.
   */
  refreshTokens(refreshToken: string, client: Client): Promise<TokenPair>;

  /**
   * A non-fresh access token for a refresh token, which is used up: its session goes on, but no
   * refresh token of it is ever accepted again (the Flask-JWT-Extended course's `/refresh`).
   * The token presented again ends the session, as any replay does. Throws `invalid_grant` for
   * a token that is unknown, expired or of an ended session, `token_revoked` for one already used.
   */
  refreshAccessToken(refreshToken: string, client: Client): Promise<{ accessToken: string; expiresInSeconds: number }>;

  /** Why an access token is or is not accepted (`AccessTokenCheck`). */
  checkAccessToken(accessToken: string): Promise<AccessTokenCheck>;

  /** The principal behind a valid access token whose session is live, or null. */
  validateAccessToken(accessToken: string): Promise<Principal | null>;

  /** Ends the session of an access or refresh token (RFC 7009); an unknown token changes nothing. */
  revokeToken(token: string, client: Client): Promise<void>;

  /** What an access or refresh token says if it is valid and its session live (RFC 7662). */
  introspectToken(token: string): Promise<Introspection>;

  /** Throws `invalid_client` unless `presented` is the configured introspection token (or none is configured). */
  authorizeIntrospection(presented: string | null): void;
}

type TokenDeps = CredentialDeps &
  Pick<CoreDeps, 'clock' | 'keys' | 'audit'> & {
    readonly store: Pick<
      CoreDeps['store'],
      'insertSession' | 'findSessionById' | 'readTokenSession' | 'touchSession' | 'findUserById' | 'rotateRefreshToken' | 'confirmRefreshToken' | 'deleteSession'
    >;
    readonly config: CoreDeps['config'];
  };

/**
 * How many rotations back a replayed refresh token is still recognised as this session's.
 * Each step is an HMAC and a hash, and a forged token for a known session id costs all of
 * them, so the bound keeps that below the cost of an ordinary request. A stolen token is
 * replayed soon after it is stolen; 64 rotations is 16 hours at one refresh every 15 minutes.
 * An older one is refused without ending the session.
 */
const MAX_ANCESTRY_STEPS = 64;

export function createTokens(deps: TokenDeps): Tokens {
  const { store, clock, keys, config, audit, limits } = deps;
  const verifyAccessToken = createAccessTokenVerifier(keys, clock, config);
  const invalidGrant = (reason = 'refresh token is invalid, expired or revoked') => new AuthError('invalid_grant', reason);

  async function issue(session: Session, email: string, claims: UserClaims | null, refreshSecret: string, fresh: boolean): Promise<TokenPair> {
    const access = await signAccessToken(keys, clock, config, {
      userId: session.userId,
      sessionId: session.id,
      email,
      fresh,
      custom: claims,
      sessionEndsAt: session.expiresAt,
    });
    return {
      accessToken: access.token,
      refreshToken: formatRefreshToken(session.id, refreshSecret),
      expiresInSeconds: access.expiresInSeconds,
    };
  }

  /** A refreshed pair: the user's email and claims are read again, so changes reach the next token. */
  async function reissue(session: Session, childSecret: string): Promise<TokenPair> {
    const user = await store.findUserById(session.userId);
    // Disabling ended the session already; a refresh that read it just before must not outlive that.
    if (!user || user.disabledAt !== null) throw invalidGrant();
    return issue(session, user.email, user.claims, childSecret, false);
  }

  function isWithinGrace(session: Session, now: Date): boolean {
    return (
      config.refreshGraceSeconds > 0 &&
      session.refreshedAt !== null &&
      now.getTime() - session.refreshedAt.getTime() <= config.refreshGraceSeconds * 1000
    );
  }

  /** The token session named by verified access-token claims, if it is live; records its use. */
  async function sessionOfAccessToken(claims: AccessTokenClaims): Promise<SessionWithEmail | null> {
    const session = await store.readTokenSession(claims.sid);
    if (session?.kind !== 'token' || session.userId !== claims.sub) return null;
    return (await isSessionInUse(deps, session)) ? session : null;
  }

  /**
   * The token session whose current refresh token this is, or null. A used token is not
   * looked for here: only the refresh grant pays for that walk, so revocation and
   * introspection cost the same for any token.
   */
  async function sessionOfCurrentRefreshToken(token: string): Promise<SessionWithEmail | null> {
    const parsed = parseRefreshToken(token);
    if (!parsed) return null;
    const session = await store.findSessionById(parsed.sessionId);
    return session?.kind === 'token' && session.refreshHash === hashSecret(parsed.secret) ? session : null;
  }

  /**
   * The refresh grant's work, judged under the attempt limits by `refreshTokens`. Without
   * `hasGrace`, the token's parent presented again is a replay like any older token.
   */
  async function exchangeRefreshToken(refreshToken: string, client: Client, hasGrace = true): Promise<TokenPair> {
    const parsed = parseRefreshToken(refreshToken);
    if (!parsed) throw invalidGrant();
    let session = await store.findSessionById(parsed.sessionId);
    const now = clock.now();
    if (session?.kind !== 'token' || session.refreshHash === null || !isSessionLive(session, now, config)) throw invalidGrant();

    const parentHash = hashSecret(parsed.secret);
    const child = deriveChildSecret(keys.refreshKey(), parsed.secret);
    const childHash = hashSecret(child);
    if (session.refreshHash === parentHash) {
      if (await store.rotateRefreshToken(session.id, parentHash, childHash, now)) return reissue(session, child);
      // A concurrent request rotated it first: judge this one against what it left.
      session = await store.findSessionById(session.id);
      if (!session || session.refreshHash === null) throw invalidGrant();
    }
    // The parent again, soon after: a lost answer or a second tab. Same child, new access token,
    // provided the session has not ended or moved on since it was read.
    if (hasGrace && session.refreshHash === childHash && isWithinGrace(session, now)) {
      if (await store.confirmRefreshToken(session.id, childHash, now)) return reissue(session, child);
      throw invalidGrant();
    }
    const steps = Math.min(session.refreshGeneration, MAX_ANCESTRY_STEPS);
    if (isUsedAncestor(keys.refreshKey(), parsed.secret, session.refreshHash, steps)) {
      // A used token came back: someone holds a copy. End everything issued in this session;
      // the answer is invalid_grant whether or not the cache could be told.
      await store.deleteSession(session).catch((error: unknown) => {
        if (!(error instanceof CacheUnavailableError)) throw error;
      });
      audit({ event: 'refresh_reused', userId: session.userId, sessionId: session.id, ...auditOrigin(client) });
      throw new AuthError(hasGrace ? 'invalid_grant' : 'token_revoked', 'refresh token was already used; the session has ended');
    }
    throw invalidGrant();
  }

  return {
    async grantTokens(email, password, client, options) {
      const user = await checkCredentials(deps, email, password, client, 'token', options);
      const { session, secret } = newTokenSession(user.id, clock.now(), config);
      const ended = await store.insertSession(session, {
        passwordVersion: user.passwordVersion,
        origin: originOf(client),
        endOtherCookieSessions: false,
        replacesTokenHash: null,
      });
      if (!ended) throw invalidCredentials();
      audit({ event: 'login_succeeded', userId: user.id, sessionId: session.id, via: 'token', ...auditOrigin(client) });
      return issue(session, user.email, user.claims, secret, true);
    },

    refreshTokens(refreshToken, client) {
      return limits.checkPresentedToken('refresh', client, () => exchangeRefreshToken(refreshToken, client));
    },

    async refreshAccessToken(refreshToken, client) {
      // The child refresh token is never handed out: the one presented is used up, and the
      // session keeps living for its access tokens.
      const pair = await limits.checkPresentedToken('refresh', client, () => exchangeRefreshToken(refreshToken, client, false));
      return { accessToken: pair.accessToken, expiresInSeconds: pair.expiresInSeconds };
    },

    async checkAccessToken(accessToken) {
      const claims = await verifyAccessToken(accessToken);
      if (!claims) return { verdict: await diagnoseAccessToken(keys, clock, config, accessToken) };
      const session = await sessionOfAccessToken(claims);
      if (!session) return { verdict: 'revoked' };
      return { verdict: 'valid', principal: { userId: session.userId, sessionId: session.id, email: session.email }, claims };
    },

    async validateAccessToken(accessToken) {
      const claims = await verifyAccessToken(accessToken);
      const session = claims && (await sessionOfAccessToken(claims));
      return session ? { userId: session.userId, sessionId: session.id, email: session.email } : null;
    },

    async revokeToken(token, client) {
      // Only the session's current refresh token ends it: a guessed one changes nothing.
      let session: Session | null = await sessionOfCurrentRefreshToken(token);
      if (!session) {
        const claims = await verifyAccessToken(token);
        if (!claims) return;
        session = await store.findSessionById(claims.sid);
        if (session?.userId !== claims.sub) return;
      }
      if (await store.deleteSession(session)) {
        audit({ event: 'token_revoked', userId: session.userId, sessionId: session.id, ...auditOrigin(client) });
      }
    },

    async introspectToken(token) {
      const session = await sessionOfCurrentRefreshToken(token);
      if (session) {
        if (!isSessionLive(session, clock.now(), config)) return { active: false };
        return {
          active: true,
          token_type: 'refresh_token',
          sub: session.userId,
          sid: session.id,
          email: session.email,
          iat: Math.floor((session.refreshedAt ?? session.createdAt).getTime() / 1000),
          exp: Math.floor(session.expiresAt.getTime() / 1000),
        };
      }
      const claims = await verifyAccessToken(token);
      if (!claims || !(await sessionOfAccessToken(claims))) return { active: false };
      return { ...claims, active: true, token_type: 'access_token' };
    },

    authorizeIntrospection(presented) {
      const expected = config.introspectionToken;
      if (expected === null) return;
      if (presented === null || !isSameSecret(presented, expected)) {
        throw new AuthError('invalid_client', 'introspection needs the introspection bearer token');
      }
    },

  };
}
