import { decodeJwt } from 'jose';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ALL_ENGINES, createTestDatabase, describeEngines, type TestDatabase } from './support/databases.js';
import { pythonScript, runPython } from './support/python.js';
import { runCli, startServer, type ServerProcess } from './support/server-process.js';

describeEngines(ALL_ENGINES, "each API family's Python requests client against a listening Sesame on %s", (engine) => {
  let database: TestDatabase;
  let server: ServerProcess;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    server = await startServer({ database: database.url, env: { SESAME_APIS: 'session,token,python-jwt-auth,flask-jwt-course' } });
  });
  afterAll(async () => {
    expect(await server.stop()).toBe(0);
    await database.drop();
  });

  async function expectClientPasses(script: string, identifier: string): Promise<void> {
    const { code, stdout, stderr } = await runPython(pythonScript(script), [server.url, identifier]);
    expect({ code, stdout: stdout.trim() }, `${stderr} (needs Debian's python3-requests: .ci/run installs it)`).toEqual({ code: 0, stdout: 'ok' });
  }

  it('python-jwt-auth: signs up, logs in, reads the user, logs out, and the token is refused afterwards', async () => {
    await expectClientPasses('python_jwt_auth_client.py', `guillaume+${Date.now()}@holberton.io`);
  });

  it('the course: registers, logs in, reads the user, refreshes once, logs out, and the tokens are refused afterwards', async () => {
    await expectClientPasses('flask_jwt_course_client.py', `guillaume_${Date.now()}`);
  });

  it('a claim set with `sesame users claims <username>` is in the course user\'s next tokens', async () => {
    const username = `claimed_${Date.now()}`;
    const post = (path: string) =>
      fetch(`${server.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username, password: 'pw' }) });
    expect((await post('/register')).status).toBe(201);
    const cli = await runCli(['users', 'claims', username, '{"is_admin": true}', '--database', database.url]);
    expect(cli.code, cli.stderr).toBe(0);
    const { access_token } = (await (await post('/login')).json()) as { access_token: string };
    expect(decodeJwt(access_token)).toMatchObject({ is_admin: true, email: username });
  });

  it('logs no password or token', () => {
    expect(server.output()).not.toMatch(/b4l0u|"1234"|\$argon2|eyJ/);
  });
});
