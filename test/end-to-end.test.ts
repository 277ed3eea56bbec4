import { createRemoteJWKSet, jwtVerify } from 'jose';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, NEW_PASSWD, runCanonicalClient } from './support/canonical-client.js';
import { checkedFetch } from './support/openapi-conformance.js';
import { requests } from './support/requests-like.js';
import { runCli, serversPerTest, startServer, type ServerProcess } from './support/server-process.js';
import { ALL_ENGINES, createTestDatabase, describeEngines, type TestDatabase } from './support/databases.js';
import { tempDatabasePath } from './support/test-config.js';

/** Secrets of a run: none may ever appear in the server's output. */
function expectNoSecrets(output: string, secrets: Iterable<string>): void {
  for (const secret of secrets) expect(output).not.toContain(secret);
  expect(output).not.toMatch(/\$argon2|\$2[aby]\$/);
}

describeEngines(ALL_ENGINES, 'the canonical client against a listening Sesame on %s (default configuration)', (engine) => {
  let database: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    server = await startServer({ database: database.url });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await database.drop();
  });

  it('passes against a freshly started Sesame', async () => {
    await runCanonicalClient(server.url);
  });

  it('passes 20 times in a row against the same instance', async () => {
    for (let run = 1; run <= 20; run += 1) await runCanonicalClient(server.url, `guillaume+${run}@holberton.io`);
  });

  it('logs no password, cookie or token', async () => {
    const login = await requests.post(`${server.url}/sessions`, { data: { email: EMAIL, password: NEW_PASSWD } });
    const sessionId = login.cookies.get('session_id')!;
    const reset = await requests.post(`${server.url}/reset_password`, { data: { email: EMAIL } });
    const { reset_token } = reset.json() as { reset_token: string };
    expectNoSecrets(server.output(), ['b4l0u', NEW_PASSWD, sessionId, reset_token]);
  });
});

describeEngines(ALL_ENGINES, 'a listening Sesame on %s', (engine) => {
  const { newDatabase, start } = serversPerTest(engine);

  it('loses no acknowledged write when killed with SIGKILL', async () => {
    const database = await newDatabase();
    const first = await start(database);
    const email = 'durable@x.io';
    expect((await requests.post(`${first.url}/users`, { data: { email, password: 'pw' } })).statusCode).toBe(200);
    const login = await requests.post(`${first.url}/sessions`, { data: { email, password: 'pw' } });
    const sessionId = login.cookies.get('session_id')!;
    const reset = await requests.post(`${first.url}/reset_password`, { data: { email } });
    const { reset_token } = reset.json() as { reset_token: string };
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await start(database);
    const profile = await requests.get(`${second.url}/profile`, { cookies: { session_id: sessionId } });
    expect(profile.statusCode).toBe(200);
    expect(profile.json()).toEqual({ email });
    const update = await requests.put(`${second.url}/reset_password`, {
      data: { email, reset_token, new_password: 'new' },
    });
    expect(update.statusCode).toBe(200);
  });
});

describe('a listening Sesame', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
  });

  async function start(env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServer({ database: `sqlite:${tempDatabasePath()}`, env });
    running.push(server);
    return server;
  }

  it('finishes the request in flight on SIGTERM, then exits 0', async () => {
    // A hash of about half a second keeps a registration in flight while the signal lands.
    const server = await start({ SESAME_ARGON2_MEMORY_KIB: '262144', SESAME_ARGON2_ITERATIONS: '3' });
    const inFlight = requests.post(`${server.url}/users`, { data: { email: 'late@x.io', password: 'pw' } });
    await new Promise((resolve) => setTimeout(resolve, 150));
    const exit = server.stop('SIGTERM');
    const response = await inFlight;
    expect(response.statusCode).toBe(200);
    expect(await exit).toBe(0);
    expect(server.output()).toContain('"msg":"stopped"');
    await expect(requests.get(`${server.url}/`)).rejects.toThrow();
  });

  it('serves health, readiness and its OpenAPI description', async () => {
    const server = await start();
    expect((await requests.get(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await requests.get(`${server.url}/ready`)).json()).toEqual({ status: 'ready' });
    const openapi = (await requests.get(`${server.url}/openapi.json`)).json() as { openapi: string; paths: Record<string, object> };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths).sort()).toEqual([
      '/',
      '/.well-known/jwks.json',
      '/health',
      '/introspect',
      '/password',
      '/profile',
      '/ready',
      '/reset_password',
      '/revoke',
      '/sessions',
      '/sessions/{id}',
      '/token',
      '/users',
    ]);
  });
});

describeEngines(ALL_ENGINES, 'the token API against a listening Sesame on %s', (engine) => {
  const { newDatabase, start } = serversPerTest(engine, { SESAME_ISSUER: 'https://auth.example.test' });

  async function grant(url: string, username: string, password: string) {
    const response = await requests.post(`${url}/token`, { data: { grant_type: 'password', username, password } });
    expect(response.statusCode).toBe(200);
    return response.json() as { access_token: string; refresh_token: string };
  }

  const decodePart = (token: string, index: number) =>
    JSON.parse(Buffer.from(token.split('.')[index]!, 'base64url').toString()) as Record<string, unknown>;
  const decodeHeader = (token: string) => decodePart(token, 0);
  const decodePayload = (token: string) => decodePart(token, 1);

  const bearer = (url: string, accessToken: string) =>
    checkedFetch(`${url}/profile`, { headers: { authorization: `Bearer ${accessToken}` } }).then((response) => response.status);

  it('issues tokens a separate service verifies with jose and the JWKS alone', async () => {
    const server = await start(await newDatabase());
    await requests.post(`${server.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const { access_token } = await grant(server.url, 'a@x.io', 'pw');

    // The consumer: about fifteen lines, the same as in docs/tokens.md.
    const jwks = createRemoteJWKSet(new URL(`${server.url}/.well-known/jwks.json`));
    const { payload, protectedHeader } = await jwtVerify(access_token, jwks, {
      issuer: 'https://auth.example.test',
      audience: 'sesame',
      typ: 'at+jwt',
      algorithms: ['EdDSA'],
    });
    expect(protectedHeader.alg).toBe('EdDSA');
    expect(payload).toMatchObject({ email: 'a@x.io', fresh: true });
    await expect(jwtVerify(access_token, jwks, { issuer: 'https://auth.example.test', audience: 'another-api' })).rejects.toThrow();
  });

  it('keeps revocations and Bearer log-outs across a restart', async () => {
    const database = await newDatabase();
    const first = await start(database);
    await requests.post(`${first.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const revoked = await grant(first.url, 'a@x.io', 'pw');
    const loggedOut = await grant(first.url, 'a@x.io', 'pw');
    const kept = await grant(first.url, 'a@x.io', 'pw');
    expect((await requests.post(`${first.url}/revoke`, { data: { token: revoked.refresh_token } })).statusCode).toBe(200);
    const logout = await checkedFetch(`${first.url}/sessions`, { method: 'DELETE', headers: { authorization: `Bearer ${loggedOut.access_token}` } });
    expect(logout.status).toBe(204);
    expect(await first.stop()).toBe(0);

    const second = await start(database);
    for (const pair of [revoked, loggedOut]) {
      expect(await bearer(second.url, pair.access_token)).toBe(401);
      const introspection = await requests.post(`${second.url}/introspect`, { data: { token: pair.access_token } });
      expect(introspection.json()).toEqual({ active: false });
      const refreshed = await requests.post(`${second.url}/token`, { data: { grant_type: 'refresh_token', refresh_token: pair.refresh_token } });
      expect(refreshed.statusCode).toBe(400);
    }
    // Tokens of the live session, signed before the restart, still verify: the key is stored.
    expect(await bearer(second.url, kept.access_token)).toBe(200);
    expect(second.output()).toContain('SESAME_INTROSPECTION_TOKEN is not set');
  });

  it('rotates keys from the command line, and sets custom claims', async () => {
    const database = await newDatabase();
    const first = await start(database);
    await requests.post(`${first.url}/users`, { data: { email: 'a@x.io', password: 'pw' } });
    const before = await grant(first.url, 'a@x.io', 'pw');
    expect(await first.stop()).toBe(0);

    const rotated = await runCli(['keys', 'rotate', '--database', database]);
    expect(rotated.code).toBe(0);
    const kid = (JSON.parse(rotated.stdout.trim().split('\n').at(-1)!) as { kid: string }).kid;
    const claims = await runCli(['user', 'claims', 'A@x.io', '{"role":"admin"}', '--database', database]);
    expect(claims.code).toBe(0);
    const reserved = await runCli(['user', 'claims', 'a@x.io', '{"sub":"x"}', '--database', database]);
    expect(reserved.code).toBe(1);
    expect(reserved.stderr).toContain('claims reserved by the token standards cannot be set: sub');
    expect((await runCli(['user', 'claims', 'a@x.io', '[1]', '--database', database])).code).toBe(2);
    expect((await runCli(['user', 'claims', 'nobody@x.io', '{}', '--database', database])).code).toBe(1);

    const second = await start(database);
    const jwks = (await requests.get(`${second.url}/.well-known/jwks.json`)).json() as { keys: Array<{ kid: string }> };
    expect(jwks.keys.map((key) => key.kid)).toEqual([kid, decodeHeader(before.access_token).kid]);
    expect(await bearer(second.url, before.access_token)).toBe(200);
    const after = await grant(second.url, 'a@x.io', 'pw');
    // Published, but not yet signing: other instances may not have loaded it yet.
    expect(decodeHeader(after.access_token).kid).toBe(decodeHeader(before.access_token).kid);
    expect(decodePayload(after.access_token).role).toBe('admin');
  });
});

