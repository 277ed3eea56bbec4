import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const REFERENCES = fileURLToPath(new URL('./references/', import.meta.url));

/** A process under test that listens on 127.0.0.1. */
export interface Listening {
  readonly url: string;
  readonly child: ChildProcess;
  /** Resident memory now, in MB (Linux /proc). */
  rssMb(): number;
  stop(): Promise<void>;
}

function listening(child: ChildProcess, pattern: RegExp, name: string): Promise<Listening> {
  let output = '';
  let isListening = false;
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => fail(new Error(`${name} did not start within 20 s:\n${output}`)), 20_000);
    function fail(error: Error): void {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    }
    void exited.then((code) => {
      if (!isListening) fail(new Error(`${name} exited with ${code}:\n${output}`));
    });
    const onData = (chunk: Buffer) => {
      if (isListening) return;
      output += chunk.toString();
      const match = pattern.exec(output);
      if (!match) return;
      isListening = true;
      clearTimeout(timer);
      resolve({
        url: match[1]!,
        child,
        rssMb: () => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))?.[1] ?? 0) / 1024,
        stop: async () => {
          child.kill('SIGTERM');
          await exited;
        },
      });
    };
    // Read to the end, so that a chatty process never blocks on a full pipe.
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
  });
}

/** This checkout: what `npm start` runs, and the bench measures unless told another. */
export const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
/** The built service of the checkout at `root`, as `npm start` runs it. */
const mainJsOf = (root: string) => join(root, 'dist', 'sesame.cjs');
export const MAIN_JS = mainJsOf(PROJECT_ROOT);
// `npm start`'s own command line (node, its flags, the script, serve), so that the service is
// measured as it is run; its `exec` only makes node replace npm's shell.
const START = (JSON.parse(readFileSync(`${PROJECT_ROOT}package.json`, 'utf8')) as { scripts: { start: string } }).scripts.start
  .replace(/^exec /, '')
  .split(' ');
if (START[0] !== 'node') throw new Error('npm start no longer runs node: update bench/processes.ts');

/**
 * Starts `sesame serve` from the built JS on a free port as `npm start` does, with `env` on top
 * of no SESAME_* setting; from `root`, another checkout built alike, to compare two builds.
 */
export function startSesame(database: string, env: Record<string, string> = {}, root = PROJECT_ROOT): Promise<Listening> {
  const clean = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('SESAME_')));
  const child = spawn(process.execPath, [...START.slice(1), '--port', '0', '--database', database], {
    cwd: root,
    env: { ...clean, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return listening(child, /Server listening at (http:\/\/127\.0\.0\.1:\d+)/, 'sesame');
}

/** Starts a reference process of bench/references (TypeScript, through tsx), with `env` on top of this one's. */
export function startReference(name: string, args: string[] = [], env: Record<string, string> = {}): Promise<Listening> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${REFERENCES}${name}.ts`, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  return listening(child, /listening (http:\/\/127\.0\.0\.1:\d+)/, name);
}

/** Runs a reference process to completion and parses the JSON line it prints last. */
export function runReference<T>(name: string, args: string[], env: Record<string, string> = {}): Promise<T> {
  const child = spawn(process.execPath, ['--import', 'tsx', `${REFERENCES}${name}.ts`, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => {
      if (code !== 0) reject(new Error(`${name} exited with ${code}`));
      else resolve(JSON.parse(output.trim().split('\n').at(-1)!) as T);
    });
  });
}

/** Runs the built CLI to completion (migrate, for instance), this checkout's or `root`'s. */
export function runCli(args: string[], root = PROJECT_ROOT): Promise<void> {
  const child = spawn(process.execPath, [mainJsOf(root), ...args], { stdio: 'ignore' });
  return new Promise((resolve, reject) => child.once('exit', (code) => (code === 0 ? resolve() : reject(new Error(`sesame ${args.join(' ')} exited with ${code}`)))));
}
