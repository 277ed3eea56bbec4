import { jwtVerify, SignJWT, type JWTPayload } from 'jose';
import type { Clock } from './clock.js';
import { generateId } from './secrets.js';
import { SIGNING_ALGORITHMS, type KeyRing } from './signing-keys.js';
import type { UserClaims } from './store.js';

export interface AccessTokenConfig {
  /** `iss` of every token (SESAME_ISSUER), never derived from a request. */
  readonly issuer: string;
  /** `aud` of every token (SESAME_AUDIENCE). */
  readonly audience: string;
  readonly accessTokenTtlSeconds: number;
}

/** Claims that belong to Sesame or to the JWT and introspection standards: custom claims may not use them. */
export const RESERVED_CLAIMS: ReadonlySet<string> = new Set([
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sid', 'email', 'fresh',
  'active', 'token_type', 'client_id', 'username', 'scope', 'cnf', 'act', 'may_act',
]);

/** What a verified access token says, standard claims typed, custom ones as they are. */
export interface AccessTokenClaims extends JWTPayload {
  readonly sub: string;
  readonly sid: string;
  readonly email: string;
  readonly fresh: boolean;
  readonly exp: number;
  readonly iat: number;
}

const TOKEN_TYPE = 'at+jwt';

/**
 * Signs an access token (RFC 9068): header `alg`, `kid`, `typ: at+jwt`; claims `iss`, `aud`,
 * `sub`, `sid`, `jti`, `iat`, `exp`, `email`, `fresh`, then the user's custom claims, which
 * can never replace a standard one. `exp` is the TTL away, or the session's end if sooner:
 * a token never outlives its session, even at services that verify it locally. Returns the
 * token and its lifetime in seconds.
 */
export async function signAccessToken(
  keys: KeyRing,
  clock: Clock,
  config: AccessTokenConfig,
  claims: { userId: string; sessionId: string; email: string; fresh: boolean; custom: UserClaims | null; sessionEndsAt: Date },
): Promise<{ token: string; expiresInSeconds: number }> {
  const key = keys.signingKey();
  const issuedAt = Math.floor(clock.now().getTime() / 1000);
  const expiresAt = Math.min(issuedAt + config.accessTokenTtlSeconds, Math.floor(claims.sessionEndsAt.getTime() / 1000));
  const custom = Object.fromEntries(Object.entries(claims.custom ?? {}).filter(([name]) => !RESERVED_CLAIMS.has(name)));
  const token = await new SignJWT({ ...custom, sid: claims.sessionId, email: claims.email, fresh: claims.fresh })
    .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: TOKEN_TYPE })
    .setIssuer(config.issuer)
    .setAudience(config.audience)
    .setSubject(claims.userId)
    .setJti(generateId())
    .setIssuedAt(issuedAt)
    .setExpirationTime(expiresAt)
    .sign(key.privateKey);
  return { token, expiresInSeconds: expiresAt - issuedAt };
}

/**
 * The claims of an access token Sesame signed and that has not expired, or null. Checked
 * before any claim is used (ASVS 9.1.1): the signature, with a key of ours picked by `kid`
 * (an embedded `jwk`, `jku` or `x5u` is never looked at), the algorithm that key is bound to
 * (so `none` and HMAC-with-our-public-key are refused), `typ: at+jwt` (a refresh token or an
 * ID token is not an access token), `iss`, `aud`, `exp` and `nbf`. Whether the session is
 * still live is the caller's to check.
 */
export async function verifyAccessToken(
  keys: KeyRing,
  clock: Clock,
  config: AccessTokenConfig,
  token: string,
): Promise<AccessTokenClaims | null> {
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        const key = typeof header.kid === 'string' ? await keys.verificationKey(header.kid) : null;
        if (!key || key.algorithm !== header.alg) throw new Error('not one of our keys');
        return key.publicKey;
      },
      {
        algorithms: [...SIGNING_ALGORITHMS],
        typ: TOKEN_TYPE,
        issuer: config.issuer,
        audience: config.audience,
        currentDate: clock.now(),
        requiredClaims: ['sub', 'sid', 'jti', 'iat', 'exp'],
      },
    );
    return isAccessTokenClaims(payload) ? payload : null;
  } catch {
    return null;
  }
}

function isAccessTokenClaims(payload: JWTPayload): payload is AccessTokenClaims {
  return (
    typeof payload.sub === 'string' &&
    typeof payload.sid === 'string' &&
    typeof payload.email === 'string' &&
    typeof payload.fresh === 'boolean' &&
    typeof payload.exp === 'number' &&
    typeof payload.iat === 'number'
  );
}
