import type { InjectOptions } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { createAppHarness, type AppHarness } from './support/harness.js';
import { pythonScript, runPython } from './support/python.js';
import { testConfig, type ConfigOverrides } from './support/test-config.js';

type Decoded = { ok: true; claims: Record<string, unknown> } | { ok: false; error: string };

let h: AppHarness;
afterEach(async () => h.close());

/** Every family on, its clock at the real time: PyJWT checks `exp` and `nbf` against the machine's. */
async function setUp(overrides: ConfigOverrides = {}): Promise<AppHarness> {
  h = await createAppHarness(testConfig({ ...overrides, http: { apis: ['session', 'token', 'python-jwt-auth', 'flask-jwt-course'] } }));
  h.clock.advanceSeconds(Math.floor((Date.now() - h.clock.now().getTime()) / 1000));
  return h;
}

const json = (payload: unknown): Pick<InjectOptions, 'headers' | 'payload'> => ({ headers: { 'content-type': 'application/json' }, payload: JSON.stringify(payload) });

async function ok<T>(options: InjectOptions): Promise<T> {
  const response = await h.app.inject(options);
  expect(response.statusCode, response.payload).toBeLessThan(300);
  return response.json<T>();
}

/** An access token of each family's, and what `fresh` each must say. */
async function tokensOfEveryFamily(): Promise<Array<{ from: string; token: string; fresh: boolean }>> {
  await ok({ method: 'POST', url: '/users', ...json({ email: 'ada@example.com', password: 'pw' }) });
  const grant = await ok<{ access_token: string; refresh_token: string }>({ method: 'POST', url: '/token', ...json({ grant_type: 'password', username: 'ada@example.com', password: 'pw' }) });
  const refreshed = await ok<{ access_token: string }>({ method: 'POST', url: '/token', ...json({ grant_type: 'refresh_token', refresh_token: grant.refresh_token }) });
  const signup = await ok<{ jwt_token: string }>({ method: 'POST', url: '/auth/signup', ...json({ email: 'grace@example.com', password: 'pw', name: 'Grace' }) });
  const pja = await ok<{ jwt_token: string }>({ method: 'POST', url: '/auth/login', ...json({ email: 'grace@example.com', password: 'pw' }) });
  await ok({ method: 'POST', url: '/register', ...json({ username: 'alan', password: 'pw' }) });
  await h.auth.setUserClaims('alan', { is_admin: true });
  const course = await ok<{ access_token: string; refresh_token: string }>({ method: 'POST', url: '/login', ...json({ username: 'alan', password: 'pw' }) });
  const courseRefreshed = await ok<{ access_token: string }>({ method: 'POST', url: '/refresh', headers: { authorization: `Bearer ${course.refresh_token}` } });
  return [
    { from: 'POST /token (password)', token: grant.access_token, fresh: true },
    { from: 'POST /token (refresh)', token: refreshed.access_token, fresh: false },
    { from: 'POST /auth/signup', token: signup.jwt_token, fresh: true },
    { from: 'POST /auth/login', token: pja.jwt_token, fresh: true },
    { from: 'POST /login', token: course.access_token, fresh: true },
    { from: 'POST /refresh', token: courseRefreshed.access_token, fresh: false },
  ];
}

/** PyJWT's verdict on each token, decoding as Flask-JWT-Extended does. */
async function decodeWithPyJwt(tokens: readonly string[], settings: { audience?: string; issuer?: string } = {}): Promise<Decoded[]> {
  const request = {
    jwks: h.auth.publicKeys(),
    algorithm: h.config.keys.algorithm,
    audience: settings.audience ?? h.config.auth.audience,
    issuer: settings.issuer ?? h.config.auth.issuer,
    tokens,
  };
  const { code, stdout, stderr } = await runPython(pythonScript('flask_jwt_decode.py'), [], JSON.stringify(request));
  expect(code, `${stderr} (needs Debian's python3-jwt and python3-cryptography: .ci/run installs them)`).toBe(0);
  return JSON.parse(stdout) as Decoded[];
}

describe('a Flask-JWT-Extended resource server (PyJWT, the public key from JWKS as PEM)', () => {
  it.each(['EdDSA', 'ES256'] as const)("accepts every family's %s access tokens, with sub, type, fresh, jti, nbf and exp as it reads them", async (algorithm) => {
    await setUp({ keys: { algorithm } });
    const tokens = await tokensOfEveryFamily();
    const decoded = await decodeWithPyJwt(tokens.map(({ token }) => token));
    const now = Math.floor(Date.now() / 1000);
    for (const [index, { from, fresh }] of tokens.entries()) {
      const result = decoded[index]!;
      expect(result, from).toMatchObject({ ok: true });
      const { claims } = result as { claims: Record<string, unknown> };
      expect(claims, from).toMatchObject({ type: 'access', fresh, iss: h.config.auth.issuer, aud: h.config.auth.audience });
      expect(typeof claims.sub, from).toBe('string');
      expect(claims.jti, from).toEqual(expect.any(String));
      expect(claims.nbf, from).toBe(claims.iat);
      expect(claims.nbf as number, from).toBeLessThanOrEqual(now + 1);
      expect(claims.exp as number, from).toBeGreaterThan(now);
    }
    // get_jwt()["is_admin"] sees the custom claim set with `sesame users claims`.
    expect((decoded[4] as { claims: Record<string, unknown> }).claims.is_admin).toBe(true);
    expect((decoded[5] as { claims: Record<string, unknown> }).claims.is_admin).toBe(true);
  });

  it('refuses them for another audience or issuer, and refuses a refresh token and an expired token', async () => {
    await setUp();
    const { token } = (await tokensOfEveryFamily())[0]!;
    const { refresh_token } = await ok<{ refresh_token: string }>({ method: 'POST', url: '/login', ...json({ username: 'alan', password: 'pw' }) });
    h.clock.advanceSeconds(-2 * h.config.auth.accessTokenTtlSeconds);
    const old = await ok<{ access_token: string }>({ method: 'POST', url: '/login', ...json({ username: 'alan', password: 'pw' }) });
    expect((await decodeWithPyJwt([token], { audience: 'another-service' }))[0]).toEqual({ ok: false, error: 'InvalidAudienceError' });
    expect((await decodeWithPyJwt([token], { issuer: 'https://elsewhere.example' }))[0]).toEqual({ ok: false, error: 'InvalidIssuerError' });
    expect(await decodeWithPyJwt([refresh_token, old.access_token])).toEqual([
      { ok: false, error: 'DecodeError' },
      { ok: false, error: 'ExpiredSignatureError' },
    ]);
  });
});
