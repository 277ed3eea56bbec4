import { sign } from 'node:crypto';
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Clock } from './clock.js';
import { generateId } from './secrets.js';
import { SIGNING_ALGORITHMS, type KeyRing, type SigningAlgorithm, type SigningKey } from './signing-keys.js';
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
  'iss', 'sub', 'aud', 'exp', 'nbf', 'iat', 'jti', 'sid', 'email', 'fresh', 'type',
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
// Verified tokens kept in memory: 8 MB holds about ten thousand of them.
const VERIFIED_TOKENS_BYTES = 8 * 1024 * 1024;
// The claims object and the cache's own bookkeeping, beside the token's text.
const VERIFIED_ENTRY_OVERHEAD_BYTES = 400;

/**
 * Signs an access token (RFC 9068): header `alg`, `kid`, `typ: at+jwt`; claims `iss`, `aud`,
 * `sub`, `sid`, `jti`, `iat`, `nbf`, `exp`, `email`, `fresh`, `type: "access"`, then the
 * user's custom claims, which can never replace a standard one. `sub` is a string, `nbf` the
 * issue time and `type` and `fresh` mean what Flask-JWT-Extended means by them, so its
 * `@jwt_required()` accepts these tokens as they are (docs/api-families.md). `exp` is the TTL away, or the session's end if sooner:
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
  const payload = {
    ...custom,
    sid: claims.sessionId,
    email: claims.email,
    fresh: claims.fresh,
    type: 'access',
    iss: config.issuer,
    aud: config.audience,
    sub: claims.userId,
    jti: generateId(),
    iat: issuedAt,
    nbf: issuedAt,
    exp: expiresAt,
  };
  return { token: await signCompact({ alg: key.algorithm, kid: key.kid, typ: TOKEN_TYPE }, payload, key), expiresInSeconds: expiresAt - issuedAt };
}

/**
 * A JWS in compact serialisation (RFC 7515 §7.1), signed with node:crypto. jose signs through
 * WebCrypto, a job on the thread pool per signature at several times the CPU (BENCHMARKS.md,
 * item 6); Ed25519 and P-256 sign on the event loop in tens of microseconds, and RSA, which
 * takes milliseconds, stays on the pool. jose verifies.
 */
function signCompact(header: { alg: SigningAlgorithm; kid: string; typ: string }, payload: object, key: SigningKey): Promise<string> {
  const input = `${base64url(JSON.stringify(header))}.${base64url(JSON.stringify(payload))}`;
  const data = Buffer.from(input);
  const token = (signature: Buffer) => `${input}.${signature.toString('base64url')}`;
  switch (header.alg) {
    case 'EdDSA':
      return Promise.resolve(token(sign(null, data, key.privateKey)));
    case 'ES256':
      // JWS wants ECDSA's r and s side by side (RFC 7518 §3.4), not DER.
      return Promise.resolve(token(sign('sha256', data, { key: key.privateKey, dsaEncoding: 'ieee-p1363' })));
    case 'RS256':
      return new Promise((resolve, reject) => sign('sha256', data, key.privateKey, (error, signature) => (error ? reject(error) : resolve(token(signature)))));
  }
}

function base64url(text: string): string {
  return Buffer.from(text).toString('base64url');
}

/**
 * The claims of an access token Sesame signed and that has not expired, with the key that
 * verified it, or null. Checked
 * before any claim is used (ASVS 9.1.1): the signature, with a key of ours picked by `kid`
 * (an embedded `jwk`, `jku` or `x5u` is never looked at), the algorithm that key is bound to
 * (so `none` and HMAC-with-our-public-key are refused), `typ: at+jwt` (a refresh token or an
 * ID token is not an access token), `iss`, `aud`, `exp` and `nbf`. Whether the session is
 * still live is the caller's to check.
 */
async function verifySignedToken(
  keys: KeyRing,
  clock: Clock,
  config: AccessTokenConfig,
  token: string,
): Promise<{ claims: AccessTokenClaims; key: SigningKey } | null> {
  if (!isCanonicalCompact(token)) return null;
  let key: SigningKey | null = null;
  try {
    const { payload } = await jwtVerify(
      token,
      async (header) => {
        key = typeof header.kid === 'string' ? await keys.verificationKey(header.kid) : null;
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
    return key && isAccessTokenClaims(payload) ? { claims: payload, key } : null;
  } catch {
    return null;
  }
}

/**
 * Why a token that `verifySignedToken` refused was refused: `expired` when it is ours and well
 * signed but past its `exp` (jose checks the signature first), `bad_signature` when one of our
 * keys with its algorithm does not verify it, `invalid` for anything else. For the API
 * families whose contracts answer each case in its own words; only refused tokens get here.
 */
export async function diagnoseAccessToken(keys: KeyRing, clock: Clock, config: AccessTokenConfig, token: string): Promise<'expired' | 'bad_signature' | 'invalid'> {
  try {
    await jwtVerify(
      token,
      async (header) => {
        const key = typeof header.kid === 'string' ? await keys.verificationKey(header.kid) : null;
        if (!key || key.algorithm !== header.alg) throw new Error('not one of our keys');
        return key.publicKey;
      },
      { algorithms: [...SIGNING_ALGORITHMS], typ: TOKEN_TYPE, issuer: config.issuer, audience: config.audience, currentDate: clock.now() },
    );
  } catch (error) {
    if (error instanceof errors.JWTExpired) return 'expired';
    if (error instanceof errors.JWSSignatureVerificationFailed) return 'bad_signature';
    // A signature with characters appended (which the originals' base64 decoders read past):
    // what its bytes say, spelt canonically, is a signature of ours or a mismatch.
    const parts = token.split('.');
    const signature = parts[2];
    if (parts.length === 3 && signature !== undefined && BASE64URL.test(signature)) {
      const canonical = Buffer.from(signature, 'base64url').toString('base64url');
      if (canonical !== signature) return diagnoseAccessToken(keys, clock, config, `${parts[0]}.${parts[1]}.${canonical}`);
    }
  }
  return 'invalid';
}

/**
 * Verifies access tokens (`verifySignedToken`) and remembers the ones that verified, by
 * their exact text, so that a token presented again skips the signature check, which costs
 * more than the rest of a Bearer check together. A remembered token still expires on time, and stops verifying once
 * the key that verified it is no longer one that may (rotated out, or gone from the ring).
 * Only tokens that verified are kept: a flood of forged ones costs the cache nothing.
 */
export function createAccessTokenVerifier(
  keys: KeyRing,
  clock: Clock,
  config: AccessTokenConfig,
): (token: string) => Promise<AccessTokenClaims | null> {
  const verified = new LRUCache<string, { claims: AccessTokenClaims; key: SigningKey }>({
    maxSize: VERIFIED_TOKENS_BYTES,
    sizeCalculation: (_entry, token) => token.length + VERIFIED_ENTRY_OVERHEAD_BYTES,
  });
  return async (token) => {
    const kept = verified.get(token);
    if (kept && (await isStillValid(kept))) return kept.claims;
    const fresh = await verifySignedToken(keys, clock, config, token);
    if (fresh) verified.set(token, fresh);
    else if (kept) verified.delete(token);
    return fresh?.claims ?? null;
  };

  // The checks of the signature's verification that time or the key ring can change.
  async function isStillValid({ claims, key }: { claims: AccessTokenClaims; key: SigningKey }): Promise<boolean> {
    const now = Math.floor(clock.now().getTime() / 1000);
    if (claims.exp <= now || (typeof claims.nbf === 'number' && claims.nbf > now)) return false;
    return (await keys.verificationKey(key.kid)) === key;
  }
}

const BASE64URL = /^[A-Za-z0-9_-]+$/;

/**
 * Whether a compact JWS is three parts each in the one base64url spelling of its bytes: no
 * padding and no stray bits in the last character (RFC 7515 §2, RFC 8725 §2.6). jose decodes
 * `sig==` and a last character with stray bits to the same signature, so one token would have
 * several texts, each a different key for anything that remembers tokens by their text.
 */
function isCanonicalCompact(token: string): boolean {
  const parts = token.split('.');
  return parts.length === 3 && parts.every((part) => BASE64URL.test(part) && Buffer.from(part, 'base64url').toString('base64url') === part);
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
