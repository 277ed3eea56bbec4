import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EMAIL, NEW_PASSWD, runCanonicalClient } from './support/canonical-client.js';
import { requests } from './support/requests-like.js';
import { startServer, type ServerProcess } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';

/** Secrets of a run: none may ever appear in the server's output. */
function expectNoSecrets(output: string, secrets: Iterable<string>): void {
  for (const secret of secrets) expect(output).not.toContain(secret);
  expect(output).not.toMatch(/\$argon2|\$2[aby]\$/);
}

describe('the canonical client against a listening Sesame (default configuration)', () => {
  let server: ServerProcess;

  beforeAll(async () => {
    server = await startServer({ databasePath: tempDatabasePath() });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
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

describe('a listening Sesame', () => {
  const running: ServerProcess[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
  });

  async function start(databasePath: string, env: Record<string, string> = {}): Promise<ServerProcess> {
    const server = await startServer({ databasePath, env });
    running.push(server);
    return server;
  }

  it('loses no acknowledged write when killed with SIGKILL', async () => {
    const databasePath = tempDatabasePath();
    const first = await start(databasePath);
    const email = 'durable@x.io';
    expect((await requests.post(`${first.url}/users`, { data: { email, password: 'pw' } })).statusCode).toBe(200);
    const login = await requests.post(`${first.url}/sessions`, { data: { email, password: 'pw' } });
    const sessionId = login.cookies.get('session_id')!;
    const reset = await requests.post(`${first.url}/reset_password`, { data: { email } });
    const { reset_token } = reset.json() as { reset_token: string };
    expect(await first.stop('SIGKILL')).toBeNull();

    const second = await start(databasePath);
    const profile = await requests.get(`${second.url}/profile`, { cookies: { session_id: sessionId } });
    expect(profile.statusCode).toBe(200);
    expect(profile.json()).toEqual({ email });
    const update = await requests.put(`${second.url}/reset_password`, {
      data: { email, reset_token, new_password: 'new' },
    });
    expect(update.statusCode).toBe(200);
  });

  it('finishes the request in flight on SIGTERM, then exits 0', async () => {
    // A hash of about half a second keeps a registration in flight while the signal lands.
    const server = await start(tempDatabasePath(), { SESAME_ARGON2_MEMORY_KIB: '262144', SESAME_ARGON2_ITERATIONS: '3' });
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
    const server = await start(tempDatabasePath());
    expect((await requests.get(`${server.url}/health`)).json()).toEqual({ status: 'ok' });
    expect((await requests.get(`${server.url}/ready`)).json()).toEqual({ status: 'ready' });
    const openapi = (await requests.get(`${server.url}/openapi.json`)).json() as { openapi: string; paths: Record<string, object> };
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths).sort()).toEqual(['/', '/health', '/password', '/profile', '/ready', '/reset_password', '/sessions', '/users']);
  });
});
