import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generateId, hashSecret } from '../src/core/secrets.js';
import { openStore } from '../src/store/open-store.js';
import { requests } from './support/requests-like.js';
import { runCli, startServer } from './support/server-process.js';
import { tempDatabasePath } from './support/test-config.js';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the sesame command', () => {
  it('prints its usage and exits 2 without a command', async () => {
    const { code, stdout, stderr } = await runCli([]);
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain('Usage: sesame <command> [options]');
    expect(stderr).toContain('user claims <email> <json> ');
    const help = await runCli(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('keys rotate ');
  });

  it('names a usage error and where its help is, without printing the manual, and exits 2', async () => {
    const cases: Array<[string[], string, string]> = [
      [['start'], "error: unknown command 'start'", 'sesame --help'],
      [['serve', 'extra'], "error: too many arguments for 'serve'", 'sesame serve --help'],
      [['serve', '--nope'], "error: unknown option '--nope'", 'sesame serve --help'],
      [['user', 'claims', 'a@x.io'], "error: missing required argument 'json'", 'sesame user claims --help'],
      [['user', 'claims', 'a@x.io', '[1]'], 'The claims must be a JSON object, or null to remove them.', 'sesame user claims --help'],
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
    expect(first.stdout).toContain('"applied":["0001-initial","0002-outbox","0003-reset-decoys"]');
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
      { passwordVersion: 0, endOtherCookieSessions: false, replacesTokenHash: null },
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
