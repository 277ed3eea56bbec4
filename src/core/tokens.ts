import { createHash, timingSafeEqual } from 'node:crypto';
import { createAccessTokenVerifier, RESERVED_CLAIMS, signAccessToken, type AccessTokenClaims } from './access-tokens.js';
import type { Auth, CoreDeps, TokenPair } from './auth.js';
import { endSession, isSessionInUse, readSession } from './cached-sessions.js';
import { CacheUnavailableError, tokenCacheKey } from './cache.js';
import { checkCredentials, invalidCredentials } from './credentials.js';
import { toEmailKey } from './emails.js';
import { AuthError } from './errors.js';
import { deriveChildSecret, formatRefreshToken, isUsedAncestor, parseRefreshToken } from './refresh-tokens.js';
import { hashSecret } from './secrets.js';
import { isSessionLive, newTokenSession } from './sessions.js';
import type { Session, SessionWithEmail, UserClaims } from './store.js';

type TokenUseCases = Pick<
  Auth,
  'grantTokens' | 'refreshTokens' | 'validateAccessToken' | 'revokeToken' | 'introspectToken' | 'authorizeIntrospection' | 'setUserClaims'
>;

/**
 * How many rotations back a replayed refresh token is still recognised as this session's.
 * Each step is an HMAC and a hash, and a forged token for a known session id costs all of
 * them, so the bound keeps that below the cost of an ordinary request. A stolen token is
 * replayed soon after it is stolen; 64 rotations is 16 hours at one refresh every 15 minutes.
 * An older one is refused without ending the session.
 */
const MAX_ANCESTRY_STEPS = 64;
const MAX_CLAIMS_BYTES = 4096;

/** The use cases of the token API (DESIGN.md §3). */
export function createTokenAuth(deps: CoreDeps): TokenUseCases {
  const { store, clock, keys, config, audit } = deps;
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
    if (!user) throw invalidGrant();
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
    const session = await readSession(deps, tokenCacheKey(claims.sid), () => store.findSessionById(claims.sid));
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

  return {
    async grantTokens(email, password, client) {
      const user = await checkCredentials(deps, email, password, client, 'token');
      const { session, secret } = newTokenSession(user.id, clock.now(), config);
      const ended = await store.insertSession(session, {
        passwordVersion: user.passwordVersion,
        endOtherCookieSessions: false,
        replacesTokenHash: null,
      });
      if (!ended) throw invalidCredentials();
      audit({ event: 'login_succeeded', userId: user.id, sessionId: session.id, via: 'token', client: client.address });
      return issue(session, user.email, user.claims, secret, true);
    },

    async refreshTokens(refreshToken, client) {
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
      if (session.refreshHash === childHash && isWithinGrace(session, now)) {
        if (await store.confirmRefreshToken(session.id, childHash, now)) return reissue(session, child);
        throw invalidGrant();
      }
      const steps = Math.min(session.refreshGeneration, MAX_ANCESTRY_STEPS);
      if (isUsedAncestor(keys.refreshKey(), parsed.secret, session.refreshHash, steps)) {
        // A used token came back: someone holds a copy. End everything issued in this session;
        // the answer is invalid_grant whether or not the cache could be told.
        await endSession(deps, session).catch((error: unknown) => {
          if (!(error instanceof CacheUnavailableError)) throw error;
        });
        audit({ event: 'refresh_reused', userId: session.userId, sessionId: session.id, client: client.address });
        throw invalidGrant('refresh token was already used; the session has ended');
      }
      throw invalidGrant();
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
      if (await endSession(deps, session)) {
        audit({ event: 'token_revoked', userId: session.userId, sessionId: session.id, client: client.address });
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
      // Comparing digests keeps the comparison constant-time whatever the lengths (ASVS 11.2.4).
      const digest = (value: string) => createHash('sha256').update(value).digest();
      if (presented === null || !timingSafeEqual(digest(presented), digest(expected))) {
        throw new AuthError('invalid_client', 'introspection needs the introspection bearer token');
      }
    },

    async setUserClaims(email, claims) {
      if (claims !== null) {
        const reserved = Object.keys(claims).filter((name) => RESERVED_CLAIMS.has(name));
        if (reserved.length > 0) {
          throw new AuthError('invalid_input', `claims reserved by the token standards cannot be set: ${reserved.join(', ')}`);
        }
        if (Buffer.byteLength(JSON.stringify(claims)) > MAX_CLAIMS_BYTES) {
          throw new AuthError('invalid_input', `claims may take at most ${MAX_CLAIMS_BYTES} bytes of JSON`);
        }
      }
      const user = await store.findUserByEmailKey(toEmailKey(email));
      if (!user || !(await store.setUserClaims(user.id, claims, clock.now()))) {
        throw new AuthError('email_not_registered', 'email not registered');
      }
    },
  };
}
