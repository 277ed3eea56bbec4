import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach } from 'vitest';
import { createTestDatabase, type Engine, type TestDatabase } from './databases.js';

/** The built entry point: end-to-end tests run what `npm start` runs. */
export const MAIN_JS = fileURLToPath(new URL('../../dist/sesame.cjs', import.meta.url));

export interface ServerProcess {
  readonly url: string;
  readonly child: ChildProcess;
  /** Everything the process wrote so far, stdout and stderr. */
  output(): string;
  /** Sends `signal` and resolves with the exit code (null when killed by the signal). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/** The environment without any SESAME_* setting of the machine running the tests. */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('SESAME_')) env[name] = value;
  return { ...env, ...extra };
}

/** Runs the built CLI with `args` to completion; its stdin is `input`, or empty (a pipe either way, never a terminal). */
export function runCli(args: string[], env: Record<string, string> = {}, cwd?: string, input?: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  requireBuild();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [MAIN_JS, ...args], { env: cleanEnv(env), cwd, stdio: 'pipe' });
    child.stdin.end(input);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/**
 * Runs the built CLI with `args` at a real terminal: a pseudo-terminal of util-linux's
 * `script`, whose line discipline echoes what is typed unless the command turns echo off.
 * Each reply is typed only once the screen shows its prompt, as a person would; the result is
 * everything the terminal showed (stdout and stderr alike), typed characters included.
 */
export function runCliAtTerminal(args: string[], replies: ReadonlyArray<readonly [prompt: string, typed: string]>, env: Record<string, string> = {}): Promise<{ code: number | null; screen: string }> {
  requireBuild();
  const quoted = [process.execPath, MAIN_JS, ...args].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn('script', ['--quiet', '--return', '--command', quoted, '/dev/null'], { env: cleanEnv(env), stdio: 'pipe' });
    let screen = '';
    let answered = 0;
    // Where the screen stood when the last reply was typed: the next prompt shows after it.
    let from = 0;
    child.stdout.on('data', (chunk: Buffer) => {
      screen += chunk.toString();
      const next = replies[answered];
      const at = next === undefined ? -1 : screen.indexOf(next[0], from);
      if (at < 0) return;
      answered += 1;
      from = at + next![0].length;
      child.stdin.write(next![1]);
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, screen }));
  });
}

/**
 * Starts `sesame serve` on a free port (or `command` instead of the built CLI) and resolves
 * once it logs the address it listens on.
 */
export function startServer(options: {
  /** SESAME_DATABASE_URL: `sqlite:<path>` or a server URL. */
  readonly database: string;
  readonly env?: Record<string, string>;
  readonly command?: readonly [string, ...string[]];
  readonly cwd?: string;
}): Promise<ServerProcess> {
  requireBuild();
  const [command, ...args] = options.command ?? [process.execPath, MAIN_JS, 'serve', '--port', '0'];
  const child = spawn(command, [...args, '--database', options.database], {
    env: cleanEnv({ SESAME_LOG_LEVEL: 'info', ...options.env }),
    cwd: options.cwd,
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: true,
  });
  let output = '';
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));

  return new Promise((resolve, reject) => {
    const timeout = setTimeout(() => fail(new Error(`server did not start within 15 s:\n${output}`)), 15_000);
    function fail(error: Error): void {
      clearTimeout(timeout);
      killGroup(child, 'SIGKILL');
      reject(error);
    }
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /Server listening at (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timeout);
        resolve({
          url: match[1]!,
          child,
          output: () => output,
          stop: (signal = 'SIGTERM') => {
            killGroup(child, signal);
            return exited;
          },
        });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    void exited.then((code) => fail(new Error(`server exited with ${code} before listening:\n${output}`)));
  });
}

// Signal the whole process group (npm and the node it runs), as a terminal would.
function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // Already gone.
  }
}

function requireBuild(): void {
  if (!existsSync(MAIN_JS)) throw new Error(`${MAIN_JS} is missing: run \`npm run build\` (npm test does) first`);
}

/**
 * For a describe block: throw-away databases on `engine` and servers on them, made by its
 * tests and killed and dropped after each one.
 */
export function serversPerTest(engine: Engine, baseEnv: Record<string, string> = {}) {
  const running: ServerProcess[] = [];
  const databases: TestDatabase[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((server) => server.stop('SIGKILL')));
    await Promise.all(databases.splice(0).map((database) => database.drop()));
  });
  return {
    /** A new database; returns its SESAME_DATABASE_URL. */
    newDatabase: async (): Promise<string> => {
      const database = await createTestDatabase(engine);
      databases.push(database);
      return database.url;
    },
    start: async (database: string, env: Record<string, string> = {}): Promise<ServerProcess> => {
      const server = await startServer({ database, env: { ...baseEnv, ...env } });
      running.push(server);
      return server;
    },
  };
}
