import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateId, hashSecret } from '../src/core/secrets.js';
import { openStore } from '../src/store/open-store.js';
import { createTestDatabase, describeEngines, TEST_REDIS_URL, testKeyPrefix, type TestDatabase } from './support/databases.js';
import { checkedFetch } from './support/openapi-conformance.js';
import { requests } from './support/requests-like.js';
import { runCli, runCliAtTerminal, startServer, type ServerProcess } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the sesame command', () => {
  it('prints its usage and exits 2 without a command', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: sesame <command> [options]');
    expect(stderr).toContain('users claims <user> <json> ');
    expect(stderr).toContain('sessions revoke [options] <user> ');
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keys rotate ');
  });

  it('names a usage error and where its help is, without printing the manual, and exits 2', async () => {
    const cases: Array<[string[], string, string]> = [
      [['start'], "error: unknown command 'start'", 'sesame --help'],
      [['serve', 'extra'], "error: too many arguments for 'serve'", 'sesame serve --help'],
      [['serve', '--nope'], "error: unknown option '--nope'", 'sesame serve --help'],
      [['user', 'claims', 'a@x.io'], "error: missing required argument 'json'", 'sesame users claims --help'],
      [['user', 'claims', 'a@x.io', '[1]'], 'The claims must be a JSON object, or null to remove them.', 'sesame users claims --help'],
      [['users', 'show', ''], 'Name the user by email, by id or by username', 'sesame users show --help'],
      [['users', 'list', '--limit', '501'], 'The limit must be a whole number from 1 to 500.', 'sesame users list --help'],
      [['users', 'list', '--limit', 'ten'], 'The limit must be a whole number from 1 to 500.', 'sesame users list --help'],
      [['users', 'list', '--state', 'asleep'], "error: option '--state <state>' argument 'asleep' is invalid", 'sesame users list --help'],
      [['users', 'list', '--disabled', '--state', 'active'], "error: option '--disabled' cannot be used with option '--state <state>'", 'sesame users list --help'],
      [['users', 'create'], "error: missing required argument 'email'", 'sesame users create --help'],
      [['users', 'set-password', 'a@x.io', 'hunter2'], "error: too many arguments for 'set-password'", 'sesame users set-password --help'],
      [['users', 'delete', 'a@x.io'], 'error: stdin is not a terminal to confirm on: add --yes to delete', 'sesame users delete --help'],
      [['sessions', 'revoke', 'a@x.io'], 'error: give either --session <id> or --all', 'sesame sessions revoke --help'],
      [['sessions', 'revoke', 'a@x.io', '--all', '--session', 'x'], 'error: give either --session <id> or --all', 'sesame sessions revoke --help'],
    ];
    for (const [args, error, help] of cases) {
      const { code, stderr } = await runCli(args);
      expect(code).toBe(2);
      expect(stderr).toContain(error);
      expect(stderr).toContain(`(${help} shows the usage)`);
      expect(stderr).not.toContain('Usage:');
    }
  });

  it('prints the commands of a group given without one, and exits 2', async () => {
    const { code, stderr } = await runCli(['keys']);
    expect(code).toBe(2);
    expect(stderr).toContain('Usage: sesame keys <command> [options]');
    expect(stderr).toContain('keys rotate ');
  });

  it("prints one command's help with help <command> or <command> --help", async () => {
    const [viaHelp, viaOption] = [await runCli(['help', 'serve']), await runCli(['serve', '--help'])];
    expect(viaHelp).toEqual(viaOption);
    expect(viaHelp.code).toBe(0);
    expect(viaHelp.stdout).toContain('Usage: sesame serve [options]');
    expect(viaHelp.stdout).toContain('start the HTTP service');
    expect(viaHelp.stdout).toContain('--port <port>');
    expect(viaHelp.stdout).not.toContain('keys rotate');
    const rotate = await runCli(['keys', 'rotate', '--help']);
    expect(rotate.code).toBe(0);
    expect(rotate.stdout).toContain('Usage: sesame keys rotate [options]');
  });

  it('prints its version', async () => {
    const { version } = JSON.parse(readFileSync(join(PROJECT_ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(await runCli(['--version'])).toEqual({ code: 0, stdout: `${version}\n`, stderr: '' });
  });

  it('refuses to start on invalid settings, listing every problem', async () => {
    const { code, stderr } = await runCli(['serve', '--port', 'eighty'], {
      SESAME_PROFILE: 'strict',
      SESAME_SINGLE_COOKIE_SESSION: 'maybe',
    });
    expect(code).toBe(2);
    expect(stderr).toContain('Invalid configuration:');
    expect(stderr).toContain('SESAME_PORT: must be a whole number from 0 to 65535 (got "eighty")');
    expect(stderr).toContain('SESAME_SINGLE_COOKIE_SESSION: must be true or false (got "maybe")');
    expect(stderr).toContain('SESAME_INTROSPECTION_TOKEN: required by the strict profile');
  });

  it('reads settings from a .env file in the working directory', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sesame-dotenv-'));
    writeFileSync(join(folder, '.env'), 'SESAME_PORT=not-a-port\n');
    const { code, stderr } = await runCli(['migrate'], {}, folder);
    expect(code).toBe(2);
    expect(stderr).toContain('SESAME_PORT: must be a whole number from 0 to 65535 (got "not-a-port")');
  });

  it('migrates a new database, then finds it up to date', async () => {
    const database = `sqlite:${tempDatabasePath()}`;
    const first = await runCli(['migrate', '--database', database]);
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('"applied":["0001-initial","0002-outbox","0003-reset-decoys","0004-operators","0005-disabled-users"]');
    const second = await runCli(['migrate', '--database', database]);
    expect(second.code).toBe(0);
    expect(second.stdout).toContain('database is up to date');
  });

  it('fails clearly, exiting 1, when the database cannot be opened', async () => {
    const folder = mkdtempSync(join(tmpdir(), 'sesame-unopenable-'));
    const { code, stdout } = await runCli(['migrate', '--database', `sqlite:${folder}`]);
    expect(code).toBe(1);
    expect(stdout).toContain('"msg":"migrate failed: unable to open database file"');
  });

  it('purges expired sessions and reset tokens with gc', async () => {
    const path = tempDatabasePath();
    const store = await openStore({ engine: 'sqlite', path });
    await store.migrate();
    const past = new Date(Date.now() - 86_400_000 * 60);
    const userId = generateId();
    await store.insertUser({
      id: userId,
      email: 'old@x.io',
      emailKey: 'old@x.io',
      password: { hash: '$argon2id$x', normalization: 'none' },
      passwordVersion: 0,
      claims: null,
      createdAt: past,
      updatedAt: past,
      disabledAt: null,
      lastLoginAt: null,
    });
    const sessionId = generateId();
    await store.insertSession(
      {
        id: sessionId,
        userId,
        kind: 'cookie',
        tokenHash: hashSecret('a'),
        refreshHash: null,
        refreshGeneration: 0,
        refreshedAt: null,
        createdAt: past,
        lastSeenAt: past,
        expiresAt: new Date(past.getTime() + 1000),
      },
      { passwordVersion: 0, origin: { clientAddress: null, userAgent: null }, endOtherCookieSessions: false, replacesTokenHash: null },
    );
    await store.saveResetToken({ userId, tokenHash: hashSecret('b'), createdAt: past, expiresAt: new Date(past.getTime() + 1000) });
    await store.close();

    const { code, stdout } = await runCli(['gc', '--database', `sqlite:${path}`]);
    expect(code).toBe(0);
    expect(stdout).toContain('"purged":{"sessions":1,"resetTokens":1}');
    const after = await openStore({ engine: 'sqlite', path });
    expect(await after.deleteSession(sessionId)).toBe(false);
    await after.close();
  });

  it('warns about a misspelt setting and starts anyway', async () => {
    const server = await startServer({ database: `sqlite:${tempDatabasePath()}`, env: { SESAME_PROT: '80' } });
    expect((await requests.get(`${server.url}/`)).statusCode).toBe(200);
    expect(await server.stop()).toBe(0);
    expect(server.output()).toContain('SESAME_PROT is not a setting of Sesame and is ignored');
  });

  it('gives libuv one thread per core for the hashes, at a lower CPU priority than the event loop', async () => {
    // Each thread's nice value, from /proc (Linux keeps one per thread).
    const nicenessOf = async (env: Record<string, string>) => {
      const server = await startServer({ database: `sqlite:${tempDatabasePath()}`, env });
      const task = `/proc/${server.child.pid}/task`;
      const nice = (thread: string | number) => Number(readFileSync(`${task}/${thread}/stat`, 'utf8').split(') ')[1]!.split(' ')[16]);
      // Relative to the event loop's thread (the process's first), in case the tests run niced.
      const base = nice(server.child.pid!);
      const values = readdirSync(task).map(nice);
      await server.stop();
      return { lowered: values.filter((value) => value === base + 10).length, others: new Set(values.filter((value) => value !== base + 10)).size };
    };
    expect(await nicenessOf({})).toEqual({ lowered: availableParallelism(), others: 1 });
    expect((await nicenessOf({ UV_THREADPOOL_SIZE: '5' })).lowered).toBe(5);
  });

  it('starts with npm start, forwarding options to serve', async () => {
    const server = await startServer({
      database: `sqlite:${tempDatabasePath()}`,
      command: ['npm', 'start', '--silent', '--', '--port', '0'],
      cwd: PROJECT_ROOT,
    });
    const response = await requests.get(`${server.url}/`);
    expect(response.json()).toEqual({ message: 'Bienvenue' });
    await server.stop();
  });

  it('stops node, not only npm, when npm start alone gets SIGTERM (as from a supervisor)', async () => {
    const server = await startServer({
      database: `sqlite:${tempDatabasePath()}`,
      command: ['npm', 'start', '--silent', '--', '--port', '0'],
      cwd: PROJECT_ROOT,
    });
    // The service's own pid, from its log: npm's child, or a shell's between them.
    const pid = Number(/"pid":(\d+)/.exec(server.output())![1]);
    const isAlive = () => {
      try {
        process.kill(pid, 0);
        return true;
      } catch {
        return false;
      }
    };
    try {
      const npmExited = new Promise<number | null>((resolve) => server.child.once('exit', resolve));
      server.child.kill('SIGTERM');
      expect(await npmExited).toBe(0);
      expect(isAlive()).toBe(false);
      expect(server.output()).toContain('"msg":"stopped"');
    } finally {
      if (isAlive()) process.kill(pid, 'SIGKILL');
    }
  });
});

/** A running server, and the command line on its database (and its Redis, when it has one). */
function operatorBench(engine: 'sqlite' | 'postgres', env: () => Record<string, string>) {
  const context = {} as { server: ServerProcess; database: TestDatabase };
  beforeAll(async () => {
    context.database = await createTestDatabase(engine);
    context.server = await startServer({ database: context.database.url, env: env() });
  });
  afterAll(async () => {
    expect(await context.server.stop()).toBe(0);
    await context.database.drop();
  });
  const url = (path: string) => `${context.server.url}${path}`;
  const post = (path: string, data: Record<string, string>, headers: Record<string, string> = {}) =>
    checkedFetch(url(path), { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers }, body: new URLSearchParams(data) });
  return {
    cli: (args: string[], input?: string) => runCli([...args, '--database', context.database.url], env(), undefined, input),
    atTerminal: (args: string[], replies: ReadonlyArray<readonly [string, string]>) => runCliAtTerminal([...args, '--database', context.database.url], replies, env()),
    register: async (email: string, password: string) => expect((await post('/users', { email, password })).status).toBe(200),
    /** The log-in's status and body, and its cookie when it set one. */
    logIn: async (email: string, password: string, userAgent = 'sesame-test/1') => {
      const response = await post('/sessions', { email, password }, { 'user-agent': userAgent });
      const cookie = /session_id=([^;]+)/.exec(response.headers.get('set-cookie') ?? '')?.[1];
      return { status: response.status, body: await response.text(), cookie };
    },
    grant: async (email: string, password: string) =>
      (await (await post('/token', { grant_type: 'password', username: email, password })).json()) as { access_token: string; refresh_token: string },
    refresh: async (token: string) => (await post('/token', { grant_type: 'refresh_token', refresh_token: token })).status,
    byCookie: async (cookie: string | undefined) => (await checkedFetch(url('/profile'), { headers: { cookie: `session_id=${cookie}` } })).status,
    byBearer: async (token: string) => (await checkedFetch(url('/profile'), { headers: { authorization: `Bearer ${token}` } })).status,
    introspect: async (token: string) => ((await (await post('/introspect', { token })).json()) as { active: boolean }).active,
  };
}

const USER_FIELDS = ['id', 'email', 'created_at', 'updated_at', 'disabled', 'locked', 'last_login_at', 'claims'];
const SESSION_FIELDS = ['id', 'kind', 'created_at', 'last_seen_at', 'expires_at', 'client_address', 'user_agent'];

describe('the operator commands, beside a running server on SQLite', () => {
  const { cli, atTerminal, register, logIn, grant, refresh, byCookie, byBearer, introspect } = operatorBench('sqlite', () => ({}));

  it('creates a user from a line of stdin, then lists and shows it as a table and as JSON', async () => {
    const created = await cli(['users', 'create', 'Ann@x.io', '--json'], 'first-pass\nignored\n');
    expect(created.code).toBe(0);
    const user = JSON.parse(created.stdout) as Record<string, unknown> & { id: string };
    expect(Object.keys(user)).toEqual(USER_FIELDS);
    // Without Redis the command cannot see the servers' counters, so it does not claim to know.
    expect(user).toMatchObject({ email: 'Ann@x.io', disabled: false, locked: null, last_login_at: null, claims: null });
    expect(user.id).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect((await logIn('ann@x.io', 'first-pass')).status).toBe(200);

    const table = await cli(['users', 'list', '--email', 'ANN@']);
    expect(table.code).toBe(0);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID {22}EMAIL {5}CREATED {15}LAST SIGN-IN {10}DISABLED {2}LOCKED$/);
    expect(lines.slice(1)).toEqual([expect.stringMatching(new RegExp(`^${user.id} {2}Ann@x\\.io {2}\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\dZ {2}\\S+Z {2}no {8}\\?$`))]);

    const listed = await cli(['users', 'list', '--email', 'ann@', '--json']);
    expect(listed.code).toBe(0);
    const timeOfNow = expect.stringMatching(/^\d{4}-\d\d-\d\dT/) as unknown;
    expect(JSON.parse(listed.stdout)).toEqual({ users: [{ ...user, updated_at: timeOfNow, last_login_at: timeOfNow }], next_cursor: null });
    const byId = await cli(['users', 'show', user.id, '--json']);
    const byEmail = await cli(['users', 'show', 'ann@X.io', '--json']);
    expect(byId).toEqual(byEmail);
    expect(JSON.parse(byId.stdout)).toMatchObject({ id: user.id, email: 'Ann@x.io' });
    const details = await cli(['users', 'show', 'ann@x.io']);
    expect(details.stdout).toMatch(new RegExp(`^id {12}${user.id}\nemail {9}Ann@x\\.io\n`));
    // The audit line names the change and the command line; logs stay off stdout.
    expect(created.stderr).toContain('"event":"admin_action"');
    expect(created.stderr).toContain('"caller":"cli"');
    expect(created.stderr).not.toContain('first-pass');
  });

  it('pages through users with an opaque cursor, oldest or newest first', async () => {
    for (const email of ['page-1@x.io', 'page-2@x.io', 'page-3@x.io']) await register(email, 'pw');
    const page = async (args: string[]) => JSON.parse((await cli(['users', 'list', '--email', 'page-', '--json', ...args])).stdout) as { users: Array<{ email: string }>; next_cursor: string | null };
    const first = await page(['--order', 'oldest', '--limit', '2']);
    expect(first.users.map((user) => user.email)).toEqual(['page-1@x.io', 'page-2@x.io']);
    expect(first.next_cursor).toEqual(expect.any(String));
    const second = await page(['--order', 'oldest', '--limit', '2', '--cursor', first.next_cursor!]);
    expect(second).toEqual({ users: [expect.objectContaining({ email: 'page-3@x.io' })], next_cursor: null });
    expect((await page([])).users.map((user) => user.email)).toEqual(['page-3@x.io', 'page-2@x.io', 'page-1@x.io']);
    const table = await cli(['users', 'list', '--email', 'page-', '--limit', '1']);
    expect(table.stdout).toMatch(/\n\nThe next page: the same options and --cursor \S+\n$/);
  });

  it('disables a user: its sessions are refused by the running server at the next request, and its log-in answers as a wrong password', async () => {
    await register('dee@x.io', 'right-pass');
    const { cookie } = await logIn('dee@x.io', 'right-pass');
    const pair = await grant('dee@x.io', 'right-pass');
    expect(await byCookie(cookie)).toBe(200);
    expect(await byBearer(pair.access_token)).toBe(200);
    const wrongPassword = await logIn('dee@x.io', 'wrong-pass');

    const disabled = await cli(['users', 'disable', 'dee@x.io']);
    expect(disabled).toMatchObject({ code: 0, stdout: 'Disabled dee@x.io; every session of theirs has ended.\n' });
    expect(await byCookie(cookie)).toBe(403);
    expect(await byBearer(pair.access_token)).toBe(401);
    expect(await introspect(pair.access_token)).toBe(false);
    expect(await refresh(pair.refresh_token)).toBe(400);
    expect(await logIn('dee@x.io', 'right-pass')).toEqual({ ...wrongPassword, cookie: undefined });
    expect(JSON.parse((await cli(['users', 'show', 'dee@x.io', '--json'])).stdout)).toMatchObject({ disabled: true });
    expect((await cli(['users', 'list', '--disabled', '--email', 'dee@'])).stdout).toContain('dee@x.io');
    expect(JSON.parse((await cli(['sessions', 'list', 'dee@x.io', '--json'])).stdout)).toEqual({ sessions: [] });

    expect(await cli(['users', 'enable', 'dee@x.io'])).toMatchObject({ code: 0, stdout: 'Enabled dee@x.io.\n' });
    expect((await logIn('dee@x.io', 'right-pass')).status).toBe(200);
    expect((await cli(['users', 'list', '--state', 'disabled', '--email', 'dee@'])).stdout).not.toContain('dee@x.io');
  });

  it('sets a password read from stdin: the old one is refused, the new one accepted, every session ended', async () => {
    await register('sue@x.io', 'old-pass');
    const { cookie } = await logIn('sue@x.io', 'old-pass');
    const pair = await grant('sue@x.io', 'old-pass');
    const set = await cli(['users', 'set-password', 'sue@x.io'], 'new-pass\n');
    expect(set).toMatchObject({ code: 0, stdout: 'Password set for sue@x.io; every session of theirs has ended.\n' });
    expect(set.stderr).not.toContain('new-pass');
    expect(await byCookie(cookie)).toBe(403);
    expect(await byBearer(pair.access_token)).toBe(401);
    expect((await logIn('sue@x.io', 'old-pass')).status).toBe(401);
    expect((await logIn('sue@x.io', 'new-pass')).status).toBe(200);

    const noPassword = await cli(['users', 'set-password', 'sue@x.io']);
    expect(noPassword.code).toBe(2);
    expect(noPassword.stderr).toContain('error: no password on stdin');
    expect((await logIn('sue@x.io', 'new-pass')).status).toBe(200);
  });

  it('at a terminal, asks for the new password twice and never shows it', async () => {
    await register('tia@x.io', 'old-pass');
    const differ = await atTerminal(['users', 'set-password', 'tia@x.io'], [
      ['New password: ', 'tty-pass-one\r'],
      ['Type it again: ', 'tty-pass-two\r'],
    ]);
    expect(differ.code).toBe(1);
    expect(differ.screen).toContain('The two passwords differ; nothing changed.');
    expect((await logIn('tia@x.io', 'old-pass')).status).toBe(200);

    // A mistyped character, erased, is not part of the password.
    const set = await atTerminal(['users', 'set-password', 'tia@x.io'], [
      ['New password: ', 'tty-pass-onX\u007fe\r'],
      ['Type it again: ', 'tty-pass-one\r'],
    ]);
    expect(set.code).toBe(0);
    expect(set.screen).toContain('Password set for tia@x.io');
    expect(set.screen).not.toContain('tty-pass');
    expect((await logIn('tia@x.io', 'old-pass')).status).toBe(401);
    expect((await logIn('tia@x.io', 'tty-pass-one')).status).toBe(200);
  });

  it('at a terminal, deletes a user only when the question is answered yes', async () => {
    await register('ted@x.io', 'pw');
    const declined = await atTerminal(['users', 'delete', 'ted@x.io'], [['[y/N] ', '\r']]);
    expect(declined.code).not.toBe(0);
    expect((await logIn('ted@x.io', 'pw')).status).toBe(200);
    const confirmed = await atTerminal(['users', 'delete', 'ted@x.io'], [['[y/N] ', 'y\r']]);
    expect(confirmed.code).toBe(0);
    expect(confirmed.screen).toContain('Deleted ted@x.io.');
    expect((await logIn('ted@x.io', 'pw')).status).toBe(401);
  });

  it("lists a user's sessions and ends one, then all", async () => {
    await register('sam@x.io', 'pw');
    const { cookie } = await logIn('sam@x.io', 'pw', 'Browser/1.0\tX');
    const pair = await grant('sam@x.io', 'pw');
    const listed = JSON.parse((await cli(['sessions', 'list', 'sam@x.io', '--json'])).stdout) as { sessions: Array<Record<string, unknown>> };
    expect(listed.sessions).toHaveLength(2);
    for (const session of listed.sessions) expect(Object.keys(session)).toEqual(SESSION_FIELDS);
    // Newest first: the token session was started last.
    expect(listed.sessions.map((session) => session.kind)).toEqual(['token', 'cookie']);
    const cookieSession = listed.sessions[1]!;
    expect(cookieSession).toMatchObject({ client_address: '127.0.0.1', user_agent: 'Browser/1.0\tX' });

    const table = await cli(['sessions', 'list', 'sam@x.io']);
    const lines = table.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^ID +KIND +CREATED +LAST SEEN +EXPIRES +CLIENT +USER AGENT$/);
    expect(lines[2]).toMatch(new RegExp(`^${cookieSession.id as string} {2}cookie {2}.* {2}127\\.0\\.0\\.1 {2}Browser/1\\.0\\?X$`));

    const one = await cli(['sessions', 'revoke', 'sam@x.io', '--session', cookieSession.id as string]);
    expect(one).toMatchObject({ code: 0, stdout: `Ended session ${cookieSession.id as string}.\n` });
    expect(await byCookie(cookie)).toBe(403);
    expect(await byBearer(pair.access_token)).toBe(200);
    expect((await cli(['sessions', 'revoke', 'sam@x.io', '--session', cookieSession.id as string])).code).toBe(1);

    expect(await cli(['sessions', 'revoke', 'sam@x.io', '--all'])).toMatchObject({ code: 0, stdout: 'Ended 1 session.\n' });
    expect(await byBearer(pair.access_token)).toBe(401);
    expect(await refresh(pair.refresh_token)).toBe(400);
  });

  it('refuses to unlock without Redis, pointing to the admin API', async () => {
    await register('ula@x.io', 'pw');
    const { id } = JSON.parse((await cli(['users', 'show', 'ula@x.io', '--json'])).stdout) as { id: string };
    const unlock = await cli(['users', 'unlock', 'ula@x.io']);
    expect(unlock.code).toBe(1);
    expect(unlock.stderr).toContain('Without SESAME_REDIS_URL each running instance counts failed log-ins in its own memory');
    expect(unlock.stderr).toContain(`POST /admin/users/${id}/unlock`);
    const locked = await cli(['users', 'list', '--state', 'locked']);
    expect(locked.code).toBe(1);
    expect(locked.stderr).toContain('GET /admin/users?state=locked');
  });

  it('deletes a user only with --yes off a terminal, and then everything of theirs is gone', async () => {
    await register('del@x.io', 'pw');
    const { cookie } = await logIn('del@x.io', 'pw');
    const unconfirmed = await cli(['users', 'delete', 'del@x.io']);
    expect(unconfirmed.code).toBe(2);
    expect(await byCookie(cookie)).toBe(200);

    expect(await cli(['users', 'delete', 'del@x.io', '--yes'])).toMatchObject({ code: 0, stdout: 'Deleted del@x.io.\n' });
    expect(await byCookie(cookie)).toBe(403);
    expect((await logIn('del@x.io', 'pw')).status).toBe(401);
    expect((await cli(['users', 'show', 'del@x.io'])).code).toBe(1);
    await register('del@x.io', 'pw');
  });

  it('exits 1 with a message, and prints nothing, for a user that does not exist', async () => {
    for (const args of [
      ['users', 'show', 'nobody@x.io'],
      ['users', 'show', 'AAAAAAAAAAAAAAAAAAAAAA'],
      ['users', 'disable', 'nobody@x.io'],
      ['users', 'set-password', 'nobody@x.io'],
      ['users', 'delete', 'nobody@x.io', '--yes'],
      ['users', 'claims', 'nobody@x.io', '{}'],
      ['sessions', 'list', 'nobody@x.io'],
      ['sessions', 'revoke', 'nobody@x.io', '--all'],
    ]) {
      const { code, stdout, stderr } = await cli(args, 'a-password\n');
      expect({ args, code, stdout }).toEqual({ args, code: 1, stdout: '' });
      expect(stderr.trim()).not.toBe('');
    }
  });
});

describeEngines(
  ['sqlite', 'postgres'],
  'the operator commands, beside a running server on %s with Redis',
  (engine) => {
    const keyPrefix = testKeyPrefix();
    const env = () => ({
      SESAME_REDIS_URL: TEST_REDIS_URL!,
      SESAME_REDIS_KEY_PREFIX: keyPrefix,
      SESAME_LIMIT_ACCOUNT_FAILURES: '3',
      SESAME_LIMIT_ACCOUNT_FREE_FAILURES: '3',
    });
    const { cli, register, logIn, grant, byCookie, byBearer } = operatorBench(engine, env);

    it.each([
      ['disables', ['users', 'disable'], undefined],
      ['deletes', ['users', 'delete', '--yes'], undefined],
      ['sets a new password for', ['users', 'set-password'], 'new-pass\n'],
      ['ends every session of', ['sessions', 'revoke', '--all'], undefined],
    ] as const)('%s a user whose sessions the server has cached in Redis: refused at the next request', async (_name, command, input) => {
      const email = `red-${command.join('-')}@x.io`;
      await register(email, 'pw');
      const { cookie } = await logIn(email, 'pw');
      const pair = await grant(email, 'pw');
      // Checked twice, so that the second answer comes from Redis.
      for (let check = 0; check < 2; check += 1) {
        expect(await byCookie(cookie)).toBe(200);
        expect(await byBearer(pair.access_token)).toBe(200);
      }
      const [group, verb, ...flags] = command;
      expect((await cli([group, verb, email, ...flags], input)).code).toBe(0);
      expect(await byCookie(cookie)).toBe(403);
      expect(await byBearer(pair.access_token)).toBe(401);
    });

    it("sees and clears an account locked by failed log-ins on the server", async () => {
      await register('lock@x.io', 'pw');
      for (let attempt = 0; attempt < 3; attempt += 1) expect((await logIn('lock@x.io', 'wrong')).status).toBe(401);
      expect((await logIn('lock@x.io', 'pw')).status).toBe(429);
      expect(JSON.parse((await cli(['users', 'show', 'lock@x.io', '--json'])).stdout)).toMatchObject({ locked: true });
      const locked = JSON.parse((await cli(['users', 'list', '--state', 'locked', '--json'])).stdout) as { users: Array<{ email: string }> };
      expect(locked.users.map((user) => user.email)).toEqual(['lock@x.io']);

      expect(await cli(['users', 'unlock', 'lock@x.io'])).toMatchObject({ code: 0, stdout: 'Unlocked lock@x.io.\n' });
      expect((await logIn('lock@x.io', 'pw')).status).toBe(200);
      expect(JSON.parse((await cli(['users', 'show', 'lock@x.io', '--json'])).stdout)).toMatchObject({ locked: false });
    });
  },
  ['redis'],
);
